"""/invite?token=...: a staff invitation's single-use link. The invitee chooses a password, then sets up
two-step sign-in (/mfa) before their first staff page."""
from __future__ import annotations

from nicegui import ui

from components import forms, session, theme
from components.calls import call
from components.frame import signed_out_card
from components.guards import OneAtATime
from portal.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from portal.errors import DomainError
from portal.services.identity import staff

PATH = '/invite'


def register() -> None:
    @ui.page(PATH)
    async def invite_page(token: str = '') -> None:
        token = token[:200]
        try:
            details = await call(staff.invite_for_token, token=token)
        except DomainError as failure:
            with signed_out_card('Invitation'):
                ui.label(failure.message).classes('text-red-800').props('role=alert').mark('invite-invalid')
                ui.link('Go to sign in', '/').classes('text-teal-800 py-2')
            return
        _accept_form(token, details)


def _accept_form(token: str, details: staff.InviteDetails) -> None:
    role = 'an admin' if details.role == 'admin' else 'staff'
    with signed_out_card('Join the billing office', f'You were invited as {role}. Choose a password; next you '
                         'set up two-step sign-in with an authenticator app.'):
        ui.label(f'Email: {details.email}').classes('font-semibold break-all').mark('invite-email')
        error = forms.error_message()
        password = forms.field('Password', max_length=PASSWORD_MAX, kind='password', autocomplete='new-password',
                               required='Choose a password.', mark='password')
        ui.label('At least 12 characters. A few unrelated words make a strong, memorable password.') \
            .classes(theme.MUTED)
        confirm = forms.field('Confirm password', max_length=PASSWORD_MAX, kind='password',
                              autocomplete='new-password', required='Type the password again.', mark='confirm')
        fields = {'password': password, 'password_confirm': confirm}

        @OneAtATime
        async def submit() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            if not forms.all_valid(fields):
                return
            try:
                who = await call(staff.accept_invite, token=token, password=password.value,
                                 password_confirm=confirm.value, ip=session.client_ip())
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            await session.hand_off(session.new_auth(who), '/mfa')

        submit.disables(forms.submit_button('Create my sign-in', submit))
