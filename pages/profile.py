"""Profile: who is signed in, the accounts they can act on, and changing the password."""
from __future__ import annotations

from nicegui import ui

from components import forms, page, session, theme
from components.calls import call
from pages import notification_preferences
from pages.patient import paperless
from portal.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from portal.errors import DomainError
from portal.services import profile
from portal.services.identity import password_changes


def register() -> None:
    @ui.page('/profile', response_timeout=60)
    async def profile_page(changed: str = '') -> None:
        async def load(actor) -> tuple[profile.ProfileDetails, list]:  # noqa: ANN001
            return await call(profile.profile_details, actor=actor), await paperless.load()

        await page.show('Profile', path='/profile', load=load, draw=lambda loaded: _profile(*loaded, changed=changed))


def _profile(details: profile.ProfileDetails, delivery: list, *, changed: str) -> None:
    auth = session.current_auth()
    assert auth is not None
    ui.label('Profile').classes(theme.H1).props('role=heading aria-level=1')
    with ui.column().classes(theme.CARD + ' gap-1'):
        ui.label(details.name or details.email).classes(theme.H2)
        ui.label(details.email).classes('text-slate-700')
        ui.label(f'Role: {details.role}').classes(theme.MUTED)
        if details.mfa_enrolled:
            ui.label('Two-step sign-in is on.').classes(theme.MUTED)
    if details.accounts:
        with ui.column().classes(theme.CARD + ' gap-1'):
            ui.label('Billing accounts').classes(theme.H2)
            for account in details.accounts:
                ui.label(f'{account.account_number} · {account.guarantor_name} · '
                         f'{account.relationship}').classes('text-slate-800')
        paperless.card(delivery)
    notification_preferences.card(auth)
    _change_password(auth, changed=changed == '1')


def _change_password(auth: dict, *, changed: bool) -> None:
    with ui.column().classes(theme.CARD + ' gap-3 max-w-lg'):
        ui.label('Change password').classes(theme.H2)
        error = forms.error_message()
        ui.label('Your password was changed.' if changed else '').classes(
            'text-green-800' if changed else 'hidden').props('role=status')
        current = forms.field('Current password', max_length=PASSWORD_MAX, kind='password',
                              autocomplete='current-password', required='Enter your current password.', mark='current')
        new = forms.field('New password', max_length=PASSWORD_MAX, kind='password', autocomplete='new-password',
                          required='Choose a new password.', mark='new')
        confirm = forms.field('Confirm new password', max_length=PASSWORD_MAX, kind='password',
                              autocomplete='new-password', required='Type the new password again.', mark='confirm')
        fields = {'current_password': current, 'password': new, 'password_confirm': confirm}

        async def submit() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            if not forms.all_valid(fields):
                return
            try:
                await call(password_changes.change_password, user_id=int(auth['user_id']),
                           current_password=current.value, new_password=new.value, password_confirm=confirm.value,
                           ip=session.client_ip())
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            await session.credentials_confirmed('/profile?changed=1')  # a new session, this page again

        ui.button('Change password', on_click=submit).mark('submit').props('unelevated no-caps')
