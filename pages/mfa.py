"""Second factor for staff: enrol an authenticator app (QR code), then a code at each sign-in."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui
from starlette.responses import RedirectResponse

from components import forms, session, theme
from components.calls import call
from components.frame import sign_out, signed_out_card
from portal.auth import mfa
from portal.errors import DomainError
from portal.services.identity import two_step


def register() -> None:
    @ui.page('/mfa')
    async def mfa_page():
        auth = session.current_auth()
        if auth is None:
            return RedirectResponse('/')
        if auth.get('mfa_ok'):
            return RedirectResponse('/staff' if session.is_staff(auth) else '/')
        if not auth.get('mfa_enrolled'):
            await enrolment(auth)
        else:
            verification(auth)
        return None


def _code_input() -> ui.input:
    return forms.field('6-digit code', max_length=8, autocomplete='one-time-code',
                       required='Enter the code from your authenticator app.', mark='code').props('inputmode=numeric')


async def _done(auth: dict) -> None:
    if not await session.mfa_passed(int(auth['user_id']), str(auth.get('nonce', ''))):
        ui.navigate.to('/')  # another sign-in happened in this browser meanwhile: this code proves nothing for it


async def enrolment(auth: dict) -> None:
    secret, uri = await call(two_step.begin_totp_enrollment, user_id=int(auth['user_id']))
    qr = await call(mfa.qr_svg, uri)
    with signed_out_card('Set up two-step sign-in',
                         'Staff accounts need an authenticator app. Scan the code, then type the 6 digits it shows.'):
        with ui.row().classes('w-full justify-center'):
            ui.html(qr, sanitize=False).classes('w-48 h-48').props(
                'role=img aria-label="QR code for your authenticator app"')
        ui.label('Or type this key into the app:').classes(theme.MUTED)
        ui.label(' '.join(secret[i:i + 4] for i in range(0, len(secret), 4))).classes('font-mono text-base break-all')
        _code_form(auth, 'Turn on two-step sign-in',
                   lambda code: call(two_step.confirm_totp_enrollment, user_id=int(auth['user_id']), secret=secret,
                                     code=code, ip=session.client_ip()))


def verification(auth: dict) -> None:
    with signed_out_card('Two-step sign-in', 'Enter the 6-digit code from your authenticator app.'):
        _code_form(auth, 'Continue', lambda code: call(two_step.verify_totp, user_id=int(auth['user_id']), code=code,
                                                       ip=session.client_ip()))


def _code_form(auth: dict, action: str, check: Callable[[str], Awaitable[object]]) -> None:
    """A code field, the action button and sign-out; `check` raises DomainError for a wrong code."""
    error = forms.error_message()
    code = _code_input()

    async def submit() -> None:
        forms.set_error(error, '')
        if not code.validate():
            return
        try:
            await check(code.value)
        except DomainError as failure:
            forms.set_error(error, failure.message)
            code.value = ''
            return
        await _done(auth)

    code.on('keydown.enter', submit)
    forms.submit_button(action, submit)
    ui.button('Sign out', on_click=lambda: sign_out()).props('flat no-caps').classes('w-full')
