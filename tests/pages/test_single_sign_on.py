"""Staff single sign-on against a real OpenID provider (oidc-provider on loopback): sign-in with the
provider's MFA claim, linking by verified email to an invitation, local TOTP when the provider asserts no
second factor, and each refusal (bad state, replayed code, wrong audience, expired token, unknown subject,
provider down) on the sign-in page and in the audit log."""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from nicegui.testing import User
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.models import AuditEvent
from portal.models import User as UserRow
from tests.factories import make_user
from tests.support.oidc import Provider, ProviderMissing, log_in, start_provider
from tests.support.servers import free_port

APP = 'http://127.0.0.1:8080'
CALLBACK = APP + '/auth/oidc/callback'
SECRET = 'a-long-test-client-secret-0123456789'
ACCOUNTS = {
    'clerk-1': {'email': 'sam@example.com', 'email_verified': True, 'settle_role': 'staff'},
    'boss-1': {'email': 'boss@example.com', 'email_verified': True, 'settle_role': 'admin'},
    'stranger': {'email': 'stranger@example.com', 'email_verified': True, 'settle_role': 'staff'},
    'new-hire': {'email': 'new.hire@example.com', 'email_verified': True, 'settle_role': 'staff'},
}


@pytest.fixture(scope='module')
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    try:
        started = start_provider(tmp_path_factory.mktemp('oidc'), clients=[
            {'client_id': 'settle', 'client_secret': SECRET, 'redirect_uris': [CALLBACK]},
            {'client_id': 'another-app', 'client_secret': SECRET, 'redirect_uris': ['http://127.0.0.1:9/cb']},
        ], accounts=ACCOUNTS)
    except ProviderMissing as missing:  # as the browser tests do without Chromium: a failure in CI
        if os.environ.get('CI'):
            pytest.fail(str(missing))
        pytest.skip(str(missing))
    yield started
    started.stop()


@pytest.fixture(autouse=True)
def sso_settings(provider: Provider, page_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_BASE_URL', APP)
    monkeypatch.setenv('PORTAL_OIDC_ISSUER', provider.issuer)
    monkeypatch.setenv('PORTAL_OIDC_CLIENT_ID', 'settle')
    monkeypatch.setenv('PORTAL_OIDC_CLIENT_SECRET', SECRET)
    monkeypatch.setenv('PORTAL_OIDC_PROVIDER_NAME', 'Practice Login')
    monkeypatch.setenv('PORTAL_OIDC_ROLE_CLAIM', 'settle_role')
    monkeypatch.setenv('PORTAL_OIDC_MFA_ACR', 'urn:settle:mfa')
    reload_settings()


async def _authorize_url(user: User) -> str:
    answer = await user.http_client.get('/auth/oidc/start', follow_redirects=False)
    assert answer.status_code in (302, 303, 307), answer.text
    return answer.headers['location']


async def _finish(user: User, back: str) -> str:
    """Hand the provider's redirect to the app's callback; returns where the app sends the browser."""
    answer = await user.http_client.get(back.removeprefix(APP), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers['location']


async def sso(user: User, sub: str, *, amr: str = '', acr: str = '') -> str:
    back = log_in(await _authorize_url(user), sub=sub, amr=amr, acr=acr, stop_at=CALLBACK)
    return await _finish(user, back)


def _refusals() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent.detail).where(AuditEvent.action == 'sso_refused')
                                 .order_by(AuditEvent.id)).all())


async def test_the_sign_in_page_offers_the_provider(user: User) -> None:
    await user.open('/')
    await user.should_see('Sign in with Practice Login')


async def test_provider_mfa_skips_local_totp_and_roles_come_from_the_claim(user: User) -> None:
    from portal.services.identity import staff
    admin = make_user(email='boss@example.com', role='admin')
    with write_session() as session:
        staff.invite_staff(session, actor=Actor(user_id=admin.id, role='admin'), email='sam@example.com', role='staff')
    assert await sso(user, 'clerk-1', amr='pwd,mfa') == '/staff'
    await user.open('/staff')
    await user.should_see('Collections dashboard')
    with read_session() as session:
        sam = session.exec(select(UserRow).where(UserRow.email == 'sam@example.com')).one()
        details = session.exec(select(AuditEvent.detail).where(AuditEvent.action == 'sign_in',
                                                                AuditEvent.actor_user_id == sam.id)).all()
    assert sam.role == 'staff' and sam.oidc_subject == f'{user_issuer()} clerk-1'
    assert details == ['single sign-on (provider MFA)']

    user.find(marker='sign-out').click()  # signing out ends the local session
    await user.should_see('Forgot password?')
    assert (await user.http_client.get('/staff', follow_redirects=False)).status_code in (302, 303, 307)


def user_issuer() -> str:
    from portal.config import get_settings
    return get_settings().oidc_issuer


async def test_without_provider_mfa_the_local_second_factor_is_asked(user: User) -> None:
    make_user(email='boss@example.com', role='admin', totp_secret='JBSWY3DPEHPK3PXP')
    assert await sso(user, 'boss-1', amr='pwd', acr='urn:settle:pwd') == '/mfa'
    await user.open('/mfa')
    await user.should_see('Two-step sign-in')
    assert (await user.http_client.get('/staff', follow_redirects=False)).headers['location'] == '/mfa'


async def test_an_admin_named_acr_counts_as_mfa(user: User) -> None:
    make_user(email='boss@example.com', role='admin')
    assert await sso(user, 'boss-1', acr='urn:settle:mfa') == '/staff'


async def test_an_unknown_subject_without_an_invite_is_refused(user: User) -> None:
    assert await sso(user, 'stranger', amr='mfa') == '/?reason=sso-unknown'
    await user.open('/?reason=sso-unknown')
    await user.should_see('not set up for this portal')
    assert _refusals() == ['unknown']


async def test_a_bad_state_is_refused(user: User) -> None:
    back = log_in(await _authorize_url(user), sub='clerk-1', stop_at=CALLBACK)
    query = parse_qs(urlparse(back).query)
    forged = f'/auth/oidc/callback?code={query["code"][0]}&state=forged-state'
    assert await _finish(user, APP + forged) == '/?reason=sso-state'
    assert _refusals() == ['state']


async def test_a_replayed_code_is_refused(user: User) -> None:
    make_user(email='sam@example.com', role='staff')
    first = log_in(await _authorize_url(user), sub='clerk-1', amr='mfa', stop_at=CALLBACK)
    assert await _finish(user, first) == '/staff'
    old_code = parse_qs(urlparse(first).query)['code'][0]
    second = log_in(await _authorize_url(user), sub='clerk-1', amr='mfa', stop_at=CALLBACK)
    state = parse_qs(urlparse(second).query)['state'][0]
    assert await _finish(user, f'{CALLBACK}?code={old_code}&state={state}') == '/?reason=sso-code'
    assert _refusals()[0].startswith('code')


async def test_an_expired_id_token_is_refused(user: User) -> None:
    make_user(email='sam@example.com', role='staff')
    back = log_in(await _authorize_url(user), sub='clerk-1', amr='mfa', stop_at=CALLBACK)
    with time_machine.travel(utcnow() + timedelta(hours=3)):  # the token's exp, plus Authlib's 2 min leeway
        assert await _finish(user, back) == '/?reason=sso-expired'
    assert _refusals() == ['expired']


async def test_an_id_token_for_another_application_is_refused(user: User, provider: Provider) -> None:
    """The provider's real token for 'another-app' (signed by its key) must not open this portal."""
    import base64
    import hashlib
    import secrets

    import httpx
    from joserfc.errors import InvalidClaimError

    from pages.single_sign_on import claims_options, client
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b'=').decode()
    authorize = (f'{provider.issuer}/auth?client_id=another-app&response_type=code&scope=openid%20email'
                 f'&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s1&nonce=n1'
                 f'&code_challenge={challenge}&code_challenge_method=S256')
    back = log_in(authorize, sub='clerk-1', stop_at='http://127.0.0.1:9/cb')
    code = parse_qs(urlparse(back).query)['code'][0]
    token = httpx.post(f'{provider.issuer}/token', auth=('another-app', SECRET), data={
        'grant_type': 'authorization_code', 'code': code, 'redirect_uri': 'http://127.0.0.1:9/cb',
        'code_verifier': verifier}).json()
    with pytest.raises(InvalidClaimError) as refused:
        await client().parse_id_token(token, nonce='n1', claims_options=claims_options())
    assert refused.value.claim == 'aud'


async def test_a_provider_that_is_down_is_refused_with_a_clear_page(user: User,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_OIDC_ISSUER', f'http://127.0.0.1:{free_port()}')
    reload_settings()
    answer = await user.http_client.get('/auth/oidc/start', follow_redirects=False)
    assert answer.headers['location'] == '/?reason=sso-down'
    await user.open('/?reason=sso-down')
    await user.should_see('The identity provider cannot be reached right now.')
    assert _refusals() == ['down: ConnectError']




async def test_an_issuer_written_with_a_trailing_slash_signs_in(user: User, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Some providers (Auth0) name themselves 'https://host/': their ID tokens' iss must still match."""
    slashed = start_provider(tmp_path, clients=[{'client_id': 'settle', 'client_secret': SECRET,
                                                 'redirect_uris': [CALLBACK]}], accounts=ACCOUNTS, issuer_path='/')
    try:
        assert slashed.issuer.endswith('/')
        monkeypatch.setenv('PORTAL_OIDC_ISSUER', slashed.issuer)
        reload_settings()
        make_user(email='sam@example.com', role='staff')
        assert await sso(user, 'clerk-1', amr='mfa') == '/staff'
        assert _refusals() == []
    finally:
        slashed.stop()
