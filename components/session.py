"""Who is signed in, kept per browser in app.storage.user['auth'] (identity and role only).

The auth dict: user_id, role, first_name, signed_in_at and last_active_at (epoch seconds), mfa_ok.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from nicegui import app, context, run, ui

from components import live
from portal import live as portal_live
from portal.auth.permissions import STAFF_ROLES, Actor
from portal.auth.sessions import SessionPolicy, SessionStatus
from portal.config import get_settings

AUTH_KEY = 'auth'


def policy() -> SessionPolicy:
    return SessionPolicy.from_settings(get_settings())


def current_auth() -> dict[str, Any] | None:
    auth = app.storage.user.get(AUTH_KEY)
    return auth if isinstance(auth, dict) and auth.get('user_id') else None


def status(auth: dict[str, Any], now: float | None = None) -> SessionStatus:
    return policy().status(now=time.time() if now is None else now,
                           signed_in_at=float(auth.get('signed_in_at', 0)),
                           last_active_at=float(auth.get('last_active_at', 0)))


def new_auth(identity: Any) -> dict[str, Any]:  # noqa: ANN401  (portal.services.identity.shared.Identity)
    """The auth dict of a fresh sign-in; `hand_off` puts it into a new browser session."""
    now = time.time()
    return {'user_id': identity.user_id, 'role': identity.role, 'first_name': identity.first_name,
            'signed_in_at': now, 'last_active_at': now, 'mfa_ok': not identity.needs_mfa,
            'mfa_enrolled': identity.mfa_enrolled,
            'nonce': secrets.token_urlsafe(16),  # this sign-in: pages drawn for another one go stale
            'verified_at': now}  # credentials last proven; a later password change ends the session


async def hand_off(auth: dict[str, Any], next_path: str) -> None:
    """Send this browser through GET /auth/session, which gives it a new browser id holding `auth`.

    Sign-in, MFA and a password change run over the websocket, which cannot set a cookie; writing the
    session into this browser id's storage would leave a cookie planted before the sign-in (a shared
    kiosk) signed in too. The token works once, for a minute, and only for this browser id.
    """
    from portal.services import session_handoff
    request = context.client.request
    browser_id = str(request.session.get('id', '')) if request is not None else ''
    token = await run.io_bound(session_handoff.issue, auth=auth, next_path=next_path, browser_id=browser_id)
    ui.navigate.to(f'/auth/session?token={token}')


def same_sign_in(auth: dict[str, Any] | None, user_id: int, nonce: str) -> bool:
    """Is `auth` still the sign-in a page was drawn for? (Tabs share one browser's storage.)"""
    return auth is not None and auth.get('user_id') == user_id and auth.get('nonce') == nonce


async def mfa_passed(user_id: int, nonce: str) -> bool:
    """Hand the sign-in whose code was checked over to a new browser id with its second factor
    recorded; False (and nothing changes) if this browser's sign-in changed meanwhile."""
    auth = current_auth()
    if not same_sign_in(auth, user_id, nonce):
        return False
    await hand_off({**auth, 'mfa_ok': True, 'mfa_enrolled': True}, '/staff')
    return True


VALIDITY_SECONDS = 30
_validity: dict[tuple[int, str, float], tuple[float, bool]] = {}


async def still_valid(auth: dict[str, Any]) -> bool:
    """Checked against the database at most every 30 s per sign-in (deactivation, role or password
    change end it); the answer is cached in this process meanwhile. An admin's change publishes the
    user's topic, which drops the cached answer at once on every process (`_forget_changed_users`, open page or not)."""
    key = (int(auth['user_id']), str(auth.get('role')), float(auth.get('verified_at', auth.get('signed_in_at', 0))))
    now = time.time()
    cached = _validity.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    from portal.services.identity.sessions import sign_in_still_valid
    valid = await run.io_bound(sign_in_still_valid, user_id=key[0], role=key[1], verified_at=key[2])
    if len(_validity) > 10_000:
        _validity.clear()
    _validity[key] = (now + VALIDITY_SECONDS, valid)
    return valid


def forget_validity(user_id: int) -> None:
    """Drop this process's cached answers for a user's sign-ins (their `user:{id}` topic was published:
    deactivated, role or two-step sign-in changed), so the next check asks the database."""
    for key in [key for key in _validity if key[0] == user_id]:
        _validity.pop(key, None)


def _forget_changed_users(topics: frozenset[str]) -> None:
    """Every process drops its cached answers for the users whose topic came, open page or not: a new
    request from a deactivated user's browser is refused at once, not after the 30 s cache."""
    if portal_live.EVERYTHING in topics:
        _validity.clear()
        return
    for topic in topics:
        kind, _, user_id = topic.partition(':')
        if kind == 'user' and user_id.isdigit():
            forget_validity(int(user_id))


live.hub.on_topics(_forget_changed_users)


async def credentials_confirmed(next_path: str) -> None:
    """The person just proved their password again (changed it): keep this sign-in on a new browser
    id, end the other sessions (their `verified_at` is now older than the change)."""
    auth = current_auth()
    if auth is not None:
        await hand_off({**auth, 'verified_at': time.time() + 2}, next_path)


def touch() -> None:
    auth = current_auth()
    if auth is not None and status(auth) != SessionStatus.expired:
        app.storage.user[AUTH_KEY] = {**auth, 'last_active_at': time.time()}


def clear() -> None:
    app.storage.user.pop(AUTH_KEY, None)


def is_staff(auth: dict[str, Any] | None) -> bool:
    return bool(auth) and auth.get('role') in STAFF_ROLES  # type: ignore[union-attr]


def client_ip() -> str:
    try:
        request = context.client.request
    except Exception:  # noqa: BLE001  (no page context, e.g. in a background task)
        return ''
    return request.client.host if request is not None and request.client else ''


def actor() -> Actor:
    auth = current_auth()
    if auth is None:
        raise PermissionError('not signed in')
    return Actor(user_id=int(auth['user_id']), role=str(auth['role']), ip=client_ip())
