"""Two-step sign-in with a TOTP app: enrolment and the second step of a sign-in."""
from __future__ import annotations

import re

from portal import audit
from portal.auth import mfa
from portal.auth.ratelimit import TOTP_USED, TOTP_USER, wait_message
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import DomainError, RateLimited
from portal.models import User
from portal.services.identity.shared import Identity, active_user, hit_quietly, to_identity
from portal.services.practice import cached_practice

CODE_WRONG = 'That code is not right. Check the time on your phone and try again.'


def begin_totp_enrollment(*, user_id: int) -> tuple[str, str]:
    """A new secret and its otpauth:// URI (show it with portal.auth.mfa.qr_svg); nothing is stored."""
    user = active_user(user_id)
    secret = mfa.new_secret()
    return secret, mfa.provisioning_uri(secret, user.email, cached_practice().name)


def _totp_wait(user_id: int) -> None:
    with read_session() as session:
        wait = TOTP_USER.retry_after(session, str(user_id))
    if wait:
        raise RateLimited(f'Too many wrong codes. Please wait {wait_message(wait)} and try again.')


def confirm_totp_enrollment(*, user_id: int, secret: str, code: str, ip: str) -> None:
    ip = (ip or '')[:45]
    secret = re.sub(r'\s', '', secret or '').upper()
    if not mfa.is_valid_secret(secret):
        raise DomainError('That set-up key is not valid. Start the set-up again.')
    user = active_user(user_id)
    if user.totp_secret and user.totp_enabled_at:
        raise DomainError('Two-step sign-in is already set up for this account.')
    _totp_wait(user_id)
    ok = mfa.verify(secret, code)
    with write_session() as session:
        fresh = session.get(User, user_id)
        if ok and fresh is not None:
            fresh.totp_secret, fresh.totp_enabled_at = secret, utcnow()
            session.add(fresh)
            audit.record(session, action='mfa_enrolled', actor_user_id=user_id, actor_role=user.role,
                         source_ip=ip)
        else:
            hit_quietly(session, TOTP_USER, str(user_id))
            audit.record(session, action='mfa_failed', actor_user_id=user_id, actor_role=user.role,
                         outcome='failed', source_ip=ip, detail='enrolment')
    if not ok:
        raise DomainError(CODE_WRONG)


def verify_totp(*, user_id: int, code: str, ip: str) -> Identity:
    """The second step of a sign-in; each accepted code works once (replay guard)."""
    ip = (ip or '')[:45]
    user = active_user(user_id)
    if not (user.totp_secret and user.totp_enabled_at):
        raise DomainError('Two-step sign-in is not set up for this account.')
    with write_session() as session:  # reserve the attempt first (see sign_in)
        try:
            TOTP_USER.hit(session, str(user_id))
        except RateLimited:
            wait = TOTP_USER.retry_after(session, str(user_id))
            limited = RateLimited(f'Too many wrong codes. Please wait {wait_message(wait)} and try again.')
        else:
            limited = None
    if limited is not None:
        raise limited
    normalized = mfa.normalize_code(code)
    ok = mfa.verify(user.totp_secret, normalized)
    reused = False
    with write_session() as session:
        if ok:
            try:  # atomic: a second use of the same code within its lifetime is over the limit of 1
                TOTP_USED.hit(session, f'{user_id}:{normalized}')
            except RateLimited:
                reused = True
            if not reused:
                TOTP_USER.clear(session, str(user_id))
                audit.record(session, action='mfa_verified', actor_user_id=user_id, actor_role=user.role,
                             source_ip=ip)
        if not ok or reused:
            audit.record(session, action='mfa_failed', actor_user_id=user_id, actor_role=user.role,
                         outcome='failed', source_ip=ip, detail='code reused' if reused else 'wrong code')
    if reused:
        raise DomainError('That code was already used. Wait for the next code and try again.')
    if not ok:
        raise DomainError(CODE_WRONG)
    return to_identity(user)
