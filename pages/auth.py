"""Signed-out pages: sign-in (at /, which is the patient home once signed in), registration,
forgotten password and password reset."""
from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from nicegui import ui
from starlette.responses import RedirectResponse

from components import forms, session, theme
from components.calls import call
from components.frame import signed_out_card
from components.guards import OneAtATime
from portal.auth.passwords import MAX_LENGTH as PASSWORD_MAX
from portal.config import get_settings
from portal.errors import DomainError
from portal.models.users import Relationship
from portal.services.identity import password_changes, registration, sessions
from portal.services.identity.single_sign_on import REASONS as sso_reasons
from portal.services.identity.single_sign_on import provider_name

REASONS = {
    'timeout': 'You were signed out because the page was idle. Please sign in again.',
    'signed-out': 'You are signed out.',
    'reset': 'Your password was changed. Sign in with the new password.',
    'sign-in-expired': 'Your sign-in did not finish. Please sign in again.',
    **{f'sso-{reason}': message for reason, message in sso_reasons.items()},
}


SAFE_PATH = re.compile(r'/(?:[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)?(?:\?(?:[A-Za-z0-9_=&.+-]|%[0-9A-Fa-f]{2})*)?')


def safe_next(path: str) -> str:
    """Only plain paths of our own ('/statements/12', '/pay?statement=12'): never '//host', '/%09/host',
    'https://...'. Browsers drop tabs and newlines from URLs, so anything but letters, digits, - and _ in the
    path (and =, &, ., + and %XX escapes in its query: a search for "a&b") is refused."""
    return path if len(path) <= 200 and SAFE_PATH.fullmatch(path) else ''


def register(*, patient_home: Callable[[dict], Awaitable[None]]) -> None:
    @ui.page('/', response_timeout=60)
    async def index(reason: str = '', next: str = ''):  # noqa: A002  (the query parameter's name)
        auth = session.current_auth()
        if auth is not None and auth.get('mfa_ok'):
            if session.is_staff(auth):
                return RedirectResponse('/staff')
            await patient_home(auth)
            return None
        if auth is not None:  # signed in, second factor pending
            return RedirectResponse('/mfa')
        sign_in_page(reason=reason, next_path=safe_next(next))
        return None

    @ui.page('/register')
    def register_page() -> None:
        registration_page()

    @ui.page('/forgot')
    def forgot_page() -> None:
        forgot_password_page()

    @ui.page('/reset')
    def reset_page(token: str = '') -> None:
        reset_password_page(token[:200])


def sign_in_page(*, reason: str, next_path: str) -> None:
    with signed_out_card('Sign in', 'See what you owe, pay bills and message the billing office.'):
        if reason in REASONS:
            ui.label(REASONS[reason]).classes('w-full bg-sky-50 text-sky-900 rounded-lg px-3 py-2').props('role=status')
        error = forms.error_message()
        email = forms.field('Email', max_length=254, kind='email', autocomplete='username',
                            required='Enter your email address.', mark='email')
        password = forms.field('Password', max_length=PASSWORD_MAX, kind='password',
                               autocomplete='current-password', required='Enter your password.', mark='password')
        fields = {'email': email, 'password': password}

        @OneAtATime  # a double click or Enter while it runs does nothing
        async def submit() -> None:
            forms.set_error(error, '')
            if not forms.all_valid(fields):
                return
            try:
                who = await call(sessions.sign_in, email=email.value, password=password.value,
                                 ip=session.client_ip())
            except DomainError as failure:
                forms.set_error(error, failure.message)
                forms.clear_quietly(password)
                return
            auth = session.new_auth(who)
            if not auth['mfa_ok']:
                await session.hand_off(auth, '/mfa')
            elif session.is_staff(auth):
                await session.hand_off(auth, next_path if next_path.startswith('/staff') else '/staff')
            else:
                await session.hand_off(auth, next_path or '/')

        password.on('keydown.enter', submit)
        submit.disables(forms.submit_button('Sign in', submit))
        if get_settings().oidc_issuer:  # staff single sign-on (pages/single_sign_on.py)
            ui.button(f'Sign in with {provider_name()}', icon='badge',
                      on_click=lambda: ui.navigate.to('/auth/oidc/start')) \
                .props('outline no-caps size=lg').classes(theme.BIG_BUTTON).mark('sso')
        with ui.row().classes('w-full justify-between text-base'):
            ui.link('Forgot password?', '/forgot').classes('text-teal-800 py-2')
            ui.link('Create an account', '/register').classes('text-teal-800 py-2')


def registration_page() -> None:
    with signed_out_card('Create your account',
                    'Use the account number from your statement and the details of any patient on it.'):
        error = forms.error_message()
        account_number = forms.field('Account number', max_length=20, required='Enter the account number.',
                                     mark='account_number')
        last_name = forms.field("Patient's last name", max_length=80, autocomplete='family-name',
                                required="Enter the patient's last name.", mark='last_name')
        birth = forms.field("Patient's date of birth", max_length=10, kind='date',
                            required="Enter the patient's date of birth.", mark='birth')
        birth.props('stack-label')
        relationship = ui.select({item.value: item.value.capitalize() for item in Relationship},
                                 value=Relationship.self_.value, label='Your relationship to the account') \
            .props('outlined').classes('w-full').mark('relationship')
        email = forms.field('Email', max_length=254, kind='email', autocomplete='email',
                            required='Enter your email address.', mark='email')
        password = forms.field('Password', max_length=PASSWORD_MAX, kind='password',
                               autocomplete='new-password', required='Choose a password.', mark='password')
        ui.label('At least 12 characters. A few unrelated words make a strong, memorable password.') \
            .classes(theme.MUTED)
        confirm = forms.field('Confirm password', max_length=PASSWORD_MAX, kind='password',
                              autocomplete='new-password', required='Type the password again.', mark='confirm')
        fields = {'account_number': account_number, 'last_name': last_name, 'date_of_birth': birth,
                  'email': email, 'password': password, 'password_confirm': confirm}

        @OneAtATime  # a double click or Enter while it runs does nothing
        async def submit() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            if not forms.all_valid(fields):
                return
            try:
                who = await call(registration.register, account_number=account_number.value,
                                 last_name=last_name.value, date_of_birth=birth.value, email=email.value,
                                 password=password.value, password_confirm=confirm.value,
                                 relationship=relationship.value, ip=session.client_ip())
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            await session.hand_off(session.new_auth(who), '/')

        submit.disables(forms.submit_button('Create account', submit))
        ui.link('I already have an account', '/').classes('text-teal-800 py-2')


def forgot_password_page() -> None:
    with signed_out_card('Reset your password', "Enter your email and we'll send you a link to choose a new one."):
        done = ui.label('').classes('w-full bg-sky-50 text-sky-900 rounded-lg px-3 py-2 hidden').props('role=status')
        email = forms.field('Email', max_length=254, kind='email', autocomplete='email',
                            required='Enter your email address.', mark='email')

        @OneAtATime  # a double click or Enter while it runs does nothing
        async def submit() -> None:
            if not forms.all_valid({'email': email}):
                return
            await call(password_changes.request_password_reset, email=email.value, ip=session.client_ip())
            done.text = ('If an account uses that address, we sent it a link to reset the password. '
                         'The link works for 30 minutes.')
            done.classes(remove='hidden')

        submit.disables(forms.submit_button('Send reset link', submit))
        ui.link('Back to sign in', '/').classes('text-teal-800 py-2')


def reset_password_page(token: str) -> None:
    with signed_out_card('Choose a new password'):
        error = forms.error_message()
        password = forms.field('New password', max_length=PASSWORD_MAX, kind='password',
                               autocomplete='new-password', required='Choose a password.', mark='password')
        confirm = forms.field('Confirm new password', max_length=PASSWORD_MAX, kind='password',
                              autocomplete='new-password', required='Type the password again.', mark='confirm')
        fields = {'password': password, 'password_confirm': confirm}

        @OneAtATime  # a double click or Enter while it runs does nothing
        async def submit() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            if not forms.all_valid(fields):
                return
            try:
                await call(password_changes.reset_password, token=token, new_password=password.value,
                           password_confirm=confirm.value, ip=session.client_ip())
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            session.clear()
            ui.navigate.to(f'/?reason={quote("reset")}')

        submit.disables(forms.submit_button('Save new password', submit))
