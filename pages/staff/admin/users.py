"""Admins: staff users and invitations at /staff/admin/users: invite by email (a single-use link valid for
72 hours), change a role, reset two-step sign-in, deactivate (their open pages end within seconds on every
process) or reactivate, revoke a pending invitation."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components import chips, dialogs, forms, session, theme
from components.calls import read, write
from components.frame import frame
from components.guards import OneAtATime
from portal.errors import DomainError, NotFound
from portal.services.identity import staff

PATH = '/staff/admin/users'
ROLES = {'staff': 'Staff', 'admin': 'Admin'}
INVITE_STATE = {'pending': ('Invited', 'info'), 'expired': ('Expired', 'warn'), 'revoked': ('Revoked', 'neutral')}


def register() -> None:
    @ui.page(PATH, response_timeout=60)
    async def users_page() -> None:
        auth = session.current_auth()
        assert auth is not None
        me = int(auth['user_id'])
        with frame('Users', auth=auth, path=PATH):
            ui.label('Users').classes(theme.H1).props('role=heading aria-level=1')

            @ui.refreshable
            async def directory() -> None:
                view = await read(staff.staff_directory, actor=session.actor())
                _users(view.users, me, act)
                _invites(view.invites, act)

            async def act(change: Callable[..., object], done: str, **arguments: object) -> None:
                try:
                    await write(change, actor=session.actor(), **arguments)
                except NotFound:
                    ui.notify('That user or invitation is gone. The list is up to date now.', type='warning')
                except DomainError as failure:
                    ui.notify(failure.message, type='negative', multi_line=True)
                else:
                    ui.notify(done, type='positive')
                directory.refresh()

            _invite_form(directory.refresh)
            await directory()


def _invite_form(refresh: Callable[[], object]) -> None:
    with ui.column().classes(theme.CARD + ' gap-3').mark('invite-card'):
        ui.label('Invite a staff member').classes(theme.H2).props('role=heading aria-level=2')
        ui.label('They get an email with a link that works once, for 72 hours, to choose a password and set up '
                 'two-step sign-in.').classes(theme.MUTED)
        error = forms.error_message()
        email = forms.field('Email', max_length=254, kind='email', required='Enter their email address.',
                            mark='invite-email')
        with ui.row().classes('w-full gap-3 no-wrap max-sm:flex-wrap'):
            first = forms.field('First name', max_length=80, mark='invite-first').classes('flex-1 min-w-40')
            last = forms.field('Last name', max_length=80, mark='invite-last').classes('flex-1 min-w-40')
        role = ui.select(ROLES, value='staff', label='Role').props('outlined').classes('w-full sm:w-60') \
            .mark('invite-role')
        fields = {'email': email, 'first_name': first, 'last_name': last}

        @OneAtATime
        async def send() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            if not forms.all_valid(fields):
                return
            try:
                invite = await write(staff.invite_staff, actor=session.actor(), email=email.value, role=role.value,
                                     first_name=first.value, last_name=last.value)
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.field_errors.get('role', failure.message))
                return
            ui.notify(f'Invitation sent to {invite.email}.', type='positive')
            for element in fields.values():
                element.value = ''
            forms.clear_errors(fields)
            refresh()

        send.disables(ui.button('Send invitation', icon='send', on_click=send).props('unelevated no-caps')
                      .classes('self-start').mark('invite-submit'))


def _users(users: tuple[staff.StaffUserView, ...], me: int, act: Callable[..., Awaitable[None]]) -> None:
    with ui.column().classes(theme.CARD + ' gap-0'):
        ui.label('Staff and admins').classes(theme.H2 + ' pb-2').props('role=heading aria-level=2')
        with ui.element('ul').classes('w-full divide-y divide-slate-200').props('aria-label="Staff and admins"'):
            for user in users:
                _user_row(user, me, act)


def _user_row(user: staff.StaffUserView, me: int, act: Callable[..., Awaitable[None]]) -> None:
    with ui.element('li').classes('w-full py-3 flex flex-wrap items-center gap-x-4 gap-y-2').mark(f'user-{user.id}'):
        with ui.column().classes('gap-0 min-w-0 flex-1 basis-56'):
            ui.label(user.name or user.email).classes('font-semibold break-words')
            ui.label(user.email).classes(theme.MUTED + ' break-all')
            ui.label(f'Last sign-in: {forms.date_time(user.last_sign_in_at)}').classes('text-xs text-slate-600')
        with ui.row().classes('gap-1 items-center'):
            chips.chip(ROLES.get(user.role, user.role), 'brand')
            chips.chip('Two-step on' if user.mfa_enrolled else 'Two-step not set up',
                       'good' if user.mfa_enrolled else 'warn')
            if not user.is_active:
                chips.chip('Deactivated', 'bad')
        if user.id == me:
            ui.label('You').classes(theme.MUTED)
            return
        with ui.row().classes('gap-1'):
            other = 'admin' if user.role == 'staff' else 'staff'
            _action('Make ' + ROLES[other].lower(), f'role-{user.id}', user,
                    f'Make {user.email} {ROLES[other].lower()}? Their open pages end and they sign in again.',
                    lambda: act(staff.change_role, 'Role changed.', user_id=user.id, role=other))
            if user.mfa_enrolled:
                _action('Reset two-step', f'reset-mfa-{user.id}', user,
                        f'Reset two-step sign-in for {user.email}? They are signed out and set up their '
                        'authenticator app again at the next sign-in.',
                        lambda: act(staff.reset_mfa, 'Two-step sign-in reset.', user_id=user.id))
            if user.is_active:
                _action('Deactivate', f'deactivate-{user.id}', user,
                        f'Deactivate {user.email}? Their open pages end within seconds and they can no longer '
                        'sign in.', lambda: act(staff.deactivate_user, 'User deactivated.', user_id=user.id),
                        danger=True)
            else:
                _action('Reactivate', f'reactivate-{user.id}', user, f'Let {user.email} sign in again?',
                        lambda: act(staff.reactivate_user, 'User reactivated.', user_id=user.id))


def _action(text: str, mark: str, user: staff.StaffUserView, question: str, run: Callable[[], Awaitable[None]], *,
            danger: bool = False) -> None:
    def confirm() -> None:
        with dialogs.dialog(text) as dialog:
            ui.label(question).classes('text-slate-700')

            @OneAtATime
            async def go() -> None:
                dialog.close()
                await run()

            go.disables(dialogs.actions(dialog, text, go, mark='confirm', danger=danger))
        dialog.open()

    ui.button(text, on_click=confirm).props(f'outline no-caps dense aria-label="{text}: {user.email}"') \
        .classes('px-2' + (' text-red-800' if danger else '')).mark(mark)


def _invites(invites: tuple[staff.InviteView, ...], act: Callable[..., Awaitable[None]]) -> None:
    open_ones = [invite for invite in invites if invite.state in ('pending', 'expired')]
    if not open_ones:
        return
    with ui.column().classes(theme.CARD + ' gap-0'):
        ui.label('Invitations').classes(theme.H2 + ' pb-2').props('role=heading aria-level=2')
        with ui.element('ul').classes('w-full divide-y divide-slate-200').props('aria-label="Invitations"'):
            for invite in open_ones:
                with ui.element('li').classes('w-full py-3 flex flex-wrap items-center gap-x-4 gap-y-2') \
                        .mark(f'invite-{invite.id}'):
                    with ui.column().classes('gap-0 min-w-0 flex-1 basis-56'):
                        ui.label(invite.email).classes('font-semibold break-all')
                        ui.label(f'{ROLES.get(invite.role, invite.role)} · expires '
                                 f'{forms.date_time(invite.expires_at)}').classes(theme.MUTED)
                    chips.chip(*chips.look(invite.state, INVITE_STATE))
                    if invite.state == 'pending':
                        ui.button('Revoke', on_click=lambda invite=invite: act(
                            staff.revoke_invite, 'Invitation revoked.', invite_id=invite.id)) \
                            .props(f'outline no-caps dense aria-label="Revoke the invitation of {invite.email}"') \
                            .classes('px-2').mark(f'revoke-{invite.id}')
