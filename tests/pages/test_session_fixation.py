"""Session fixation: a cookie taken before sign-in, before MFA or before a password change opens
nothing afterwards; each of those steps hands the browser a new browser id over HTTP."""
from __future__ import annotations

import httpx
import pyotp
from nicegui import app
from nicegui.testing import User

from tests.factories import make_user
from tests.pages.conftest import DEMO_PATIENT, PASSWORD, sign_in

STAFF_PASSWORD = 'orbit-lantern-meadow-42'  # noqa: S105


def session_cookie(user: User) -> str:
    return user.http_client.cookies['session']


async def replay(cookie: str, path: str) -> httpx.Response:
    """GET `path` as another browser holding only `cookie` (what an attacker planted or copied)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url='http://test',
                                 cookies={'session': cookie}) as other:
        return await other.get(path, follow_redirects=False)


async def assert_signed_out(cookie: str) -> None:
    for path in ('/profile', '/statements', '/staff', '/mfa'):
        response = await replay(cookie, path)
        assert response.status_code in (302, 303, 307), path
        assert response.headers['location'] == f'/?next={path}', path
    home = await replay(cookie, '/')
    assert 'Amount due' not in home.text and 'Forgot password?' in home.text


async def test_a_cookie_from_before_sign_in_opens_nothing_after_it(user: User) -> None:
    await user.open('/')
    planted = session_cookie(user)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    assert session_cookie(user) != planted
    await assert_signed_out(planted)
    # the signed-in browser itself keeps working
    response = await user.http_client.get('/profile', follow_redirects=False)
    assert response.status_code == 200


async def test_cookies_from_before_sign_in_and_before_mfa_open_nothing_after_mfa(user: User) -> None:
    secret = pyotp.random_base32()
    make_user(email='clerk@example.com', password=STAFF_PASSWORD, role='staff', totp_secret=secret)
    await user.open('/')
    before_sign_in = session_cookie(user)
    await sign_in(user, 'clerk@example.com', STAFF_PASSWORD)
    await user.should_see('Two-step sign-in')
    before_mfa = session_cookie(user)
    assert before_mfa != before_sign_in
    await assert_signed_out(before_sign_in)

    user.find(marker='code').type(pyotp.TOTP(secret).now())
    user.find(marker='submit').click()
    await user.should_see('Collections dashboard')
    assert session_cookie(user) not in (before_sign_in, before_mfa)
    await assert_signed_out(before_sign_in)
    await assert_signed_out(before_mfa)
    response = await user.http_client.get('/staff', follow_redirects=False)
    assert response.status_code == 200


async def test_a_cookie_from_before_a_password_change_opens_nothing_after_it(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/profile')
    before_change = session_cookie(user)
    new = 'saffron-bicycle-lagoon-31'
    user.find(marker='current').type(PASSWORD)
    user.find(marker='new').type(new)
    user.find(marker='confirm').type(new)
    user.find(marker='submit').click()
    await user.should_see('Your password was changed.')
    assert session_cookie(user) != before_change
    await assert_signed_out(before_change)


async def test_a_hand_off_link_works_once_and_only_in_its_own_browser(user: User) -> None:
    from portal.services import session_handoff
    await user.open('/')
    planted = session_cookie(user)
    browser_id = user.client.request.session['id']
    with_user = {'user_id': 1, 'role': 'patient', 'first_name': 'X', 'signed_in_at': 0, 'last_active_at': 0,
                 'mfa_ok': True, 'nonce': 'n', 'verified_at': 0}
    token = session_handoff.issue(auth=with_user, next_path='/', browser_id=browser_id)
    stolen = await replay('', f'/auth/session?token={token}')  # another browser: refused, and the token is spent
    assert stolen.headers['location'] == '/?reason=sign-in-expired'
    assert not [storage for storage in app.storage._users.values() if 'auth' in storage]  # noqa: SLF001
    again = await replay(planted, f'/auth/session?token={token}')
    assert again.headers['location'] == '/?reason=sign-in-expired'
    await user.open('/')
    await user.should_see('Forgot password?')
