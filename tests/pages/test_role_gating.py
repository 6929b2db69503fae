"""The middleware's allow-list: signed-out visitors go to sign-in, patients never reach staff pages,
staff need their second factor, idle sessions end."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pyotp
from nicegui import app
from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session
from portal.models import User as UserRow
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, PASSWORD, sign_in


async def test_signed_out_visitor_is_sent_to_sign_in(user: User) -> None:
    for path in ('/staff', '/profile', '/statements'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303, 307)
        assert response.headers['location'].startswith('/?next=')
    await user.open('/staff')
    await user.should_see('Forgot password?')
    await user.should_not_see('Total A/R')


async def test_patient_cannot_open_staff_pages(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    for path in ('/staff', '/staff/anything'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 404
        assert 'Total A/R' not in response.text


async def test_unknown_paths_are_refused_even_when_signed_in(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    response = await user.http_client.get('/not-a-page', follow_redirects=False)
    assert response.status_code == 404


async def test_staff_without_exemption_must_enrol_totp_first(user: User) -> None:
    from portal.services.identity.admin import create_user
    create_user(email='clerk@example.com', password='orbit-lantern-meadow-42', role='staff',
                first_name='Casey', last_name='Clerk')
    await sign_in(user, 'clerk@example.com', 'orbit-lantern-meadow-42')
    await user.should_see('Set up two-step sign-in')
    response = await user.http_client.get('/staff', follow_redirects=False)
    assert response.status_code in (302, 303, 307) and response.headers['location'] == '/mfa'

    with read_session() as session:
        clerk = session.exec(select(UserRow).where(UserRow.email == 'clerk@example.com')).one()
        assert clerk.totp_secret is None  # nothing stored until a code proves the app is set up
    secret = _secret_on_page(user)
    user.find(marker='code').type('000000')
    user.find(marker='submit').click()
    await user.should_see('That code is not right.')
    user.find(marker='code').clear().type(pyotp.TOTP(secret).now())
    user.find(marker='submit').click()
    await user.should_see('Collections dashboard')


def _secret_on_page(user: User) -> str:
    from nicegui import ui
    for label in user.find(ui.label).elements:
        text = label.text.replace(' ', '')
        if len(text) in (16, 32) and text.isalnum() and text.isupper():
            return text
    raise AssertionError('no TOTP key shown')


async def test_idle_session_is_ended_on_the_next_request(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    auth = _auth()
    stale = time.time() - 16 * 60
    auth.update(last_active_at=stale)
    _store(user, auth)
    await user.open('/profile')  # redirected to sign-in with the reason
    await user.should_see('You were signed out because the page was idle.')
    await user.should_not_see('Billing accounts')
    assert not _signed_in_storages()


async def test_absolute_timeout_after_eight_hours(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    auth = _auth()
    auth.update(signed_in_at=time.time() - 8 * 3600 - 5)
    _store(user, auth)
    response = await user.http_client.get('/', follow_redirects=False)
    assert response.headers['location'] == '/?reason=timeout'


async def _until(condition: Callable[[], bool], tries: int = 100) -> None:
    """Wait for an event the page causes (checked every 50 ms, for at most 5 s)."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('the page did not get there')


def _signed_in_storages() -> list:
    """The server-side user storages holding a sign-in (this test's browser is the only one)."""
    return [storage for storage in app.storage._users.values() if 'auth' in storage]  # noqa: SLF001


def _auth() -> dict:
    (storage,) = _signed_in_storages()
    return dict(storage['auth'])


def _store(_user: User, auth: dict) -> None:
    for storage in _signed_in_storages():
        storage['auth'] = auth


async def test_a_code_entered_for_one_sign_in_never_passes_another(user: User) -> None:
    """Two tabs share one browser's storage: tab 1's correct code must not mark tab 2's sign-in."""
    from portal.services.identity.admin import create_user
    from tests.factories import make_user
    secret = pyotp.random_base32()
    make_user(email='first@example.com', password='orbit-lantern-meadow-42', role='staff', totp_secret=secret)
    create_user(email='second@example.com', password='maple-rocket-sonnet-19', role='staff')
    await sign_in(user, 'first@example.com', 'orbit-lantern-meadow-42')
    await user.should_see('Two-step sign-in')
    first = _auth()
    with read_session() as session:
        second_id = session.exec(select(UserRow.id).where(UserRow.email == 'second@example.com')).one()
    # another tab signs in as someone else (password only, second factor pending)
    _store(user, {**first, 'user_id': second_id, 'nonce': 'another-sign-in', 'mfa_ok': False})
    user.find(marker='code').type(pyotp.TOTP(secret).now())
    opened = len(user.back_history)
    user.find(marker='submit').click()
    await _until(lambda: len(user.back_history) > opened)  # the handler has run and sent this browser on:
    assert user.back_history[-1] == '/'  # back to the start (a code credited to this sign-in opens /staff)
    assert _auth()['user_id'] == second_id and _auth()['mfa_ok'] is False
    response = await user.http_client.get('/staff', follow_redirects=False)
    assert response.headers['location'] == '/mfa'


def test_next_paths_are_our_own_plain_paths() -> None:
    from pages.auth import safe_next
    assert safe_next('/statements/12') == '/statements/12'
    assert safe_next('/') == '/'
    assert safe_next('/pay?statement=12') == '/pay?statement=12'  # a deep link keeps its query
    assert safe_next('/staff/messages?q=a%26b+c') == '/staff/messages?q=a%26b+c'  # escapes in the query only
    for hostile in ('//evil.example', '/\t/evil.example', '/\n/evil.example', '/%09/evil.example', '\\/evil',
                    'https://evil.example', '/%2F/evil', '/staff?x=//evil', '', 'statements'):
        assert safe_next(hostile) == '', hostile


async def test_a_password_reset_elsewhere_ends_this_session(user: User) -> None:
    from components import session
    from portal.services.identity import password_changes
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    with read_session() as db_session:
        patient_id = db_session.exec(select(UserRow.id).where(UserRow.email == DEMO_PATIENT)).one()
    time.sleep(1.1)  # the change comes after the sign-in, not in the same second
    password_changes.change_password(user_id=patient_id, current_password='settle-demo-2026',
                             new_password='harbor-quartz-lantern-88', password_confirm='harbor-quartz-lantern-88',
                             ip='')
    session._validity.clear()  # noqa: SLF001  (skip the 30 s cache instead of waiting it out)
    response = await user.http_client.get('/profile', follow_redirects=False)
    assert response.headers['location'] == '/?reason=signed-out'
    assert not _signed_in_storages()


def test_admin_pages_are_for_admins_only() -> None:
    from pages.middleware import allowed_roles

    assert allowed_roles('/staff/admin') == {'admin'}
    assert allowed_roles('/staff/admin/users') == {'admin'}
    assert allowed_roles('/staff/administrators') == {'staff', 'admin'}  # a prefix, not a substring
    assert allowed_roles('/staff/accounts') == {'staff', 'admin'}


async def test_a_deep_link_keeps_its_query_through_sign_in(user: User, monkeypatch) -> None:  # noqa: ANN001
    """A link to a filtered staff queue (the daily digest's /staff/messages?view=mine) opened signed out lands
    there after sign-in, filter kept; the query used to be dropped."""
    from portal.services import session_handoff
    handed: list[str] = []
    issue = session_handoff.issue
    monkeypatch.setattr(session_handoff, 'issue',
                        lambda **kwargs: handed.append(kwargs['next_path']) or issue(**kwargs))
    response = await user.http_client.get('/staff/messages?view=mine', follow_redirects=False)
    assert response.headers['location'] == '/?next=/staff/messages%3Fview%3Dmine'
    await user.open('/?next=/staff/messages%3Fview%3Dmine')
    user.find(marker='email').type(DEMO_STAFF)
    user.find(marker='password').type(PASSWORD)
    user.find(marker='submit').click()
    await _until(lambda: bool(handed))
    assert handed == ['/staff/messages?view=mine']  # where GET /auth/session sends the signed-in browser
