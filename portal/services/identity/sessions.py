"""Sign-in and sign-out: the password check with its lockouts, the signed-in Identity, and whether a
sign-in still stands."""
from __future__ import annotations

from sqlmodel import select

from portal import audit
from portal.auth.passwords import dummy_hash, hash_password, needs_rehash, verify_password
from portal.auth.ratelimit import SIGN_IN_ACCOUNT, SIGN_IN_ACCOUNT_IP, SIGN_IN_IP
from portal.auth.ratelimit import release as release_hit
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import DomainError, RateLimited
from portal.models import User
from portal.services.identity.shared import (
    LONGEST_PASSWORD_TRIED,
    Identity,
    locked_message,
    normalize_email,
    pair,
    to_identity,
)

SIGN_IN_FAILED = 'The email or password is not right.'


class SignInFailed(DomainError):
    pass


def sign_in(*, email: str, password: str, ip: str) -> Identity:
    """Check an email and password. Raises SignInFailed, or RateLimited when this address used up its
    tries (overall, or for this account) or the account is between its growing delays.

    Failures lock out the address they came from (5 per account in 15 minutes, 30 overall), never the
    account: someone who knows an email cannot lock its owner out. Across addresses the account gets
    growing delays (portal.auth.ratelimit.Spacing), so a guesser with many addresses stays slow. The
    buckets exist whether or not a user has that email, so a refusal tells a guesser nothing, and the
    attempt that reaches the limit already gets the lockout message.
    """
    email, ip, password = normalize_email(email)[:320], (ip or '')[:45], password or ''
    # Reserve the attempt before the slow password check, so parallel requests cannot all slip
    # through one limit check; a good password gives the reservation back.
    limited: RateLimited | None = None
    ip_hit: int | None = None
    pair_hit: int | None = None
    with write_session() as session:
        user = session.exec(select(User).where(User.email == email)).first()
        try:
            if ip:
                ip_hit = SIGN_IN_IP.hit(session, ip)
            pair_hit = SIGN_IN_ACCOUNT_IP.hit(session, pair(email, ip))
            SIGN_IN_ACCOUNT.hit(session, email)
        except RateLimited as refused:
            for reserved in (ip_hit, pair_hit):  # a refused attempt checks nothing: count nothing
                if reserved is not None:
                    release_hit(session, reserved)
            wait = SIGN_IN_ACCOUNT_IP.retry_after(session, pair(email, ip))
            limited = RateLimited(locked_message(wait)) if wait else refused
            audit.record(session, action='sign_in_failed', actor_user_id=user.id if user else None,
                         outcome='denied', source_ip=ip,
                         detail='locked (address)' if wait else 'rate limited')
    if limited is not None:
        raise limited

    if len(password) > LONGEST_PASSWORD_TRIED:
        matched = False
    else:  # an unknown email costs the same argon2 work as a known one
        matched = verify_password(user.password_hash if user else dummy_hash(), password)
    ok = matched and user is not None and user.is_active
    new_hash = hash_password(password) if ok and needs_rehash(user.password_hash) else None

    with write_session() as session:
        fresh = session.get(User, user.id) if user else None
        if ok and (fresh is None or not fresh.is_active or fresh.password_hash != user.password_hash):
            ok = False  # changed while we were hashing
        if ok:
            SIGN_IN_ACCOUNT.clear(session, email)
            SIGN_IN_ACCOUNT_IP.clear(session, pair(email, ip))
            if ip_hit is not None:
                release_hit(session, ip_hit)
            fresh.failed_sign_ins, fresh.locked_until, fresh.last_sign_in_at = 0, None, utcnow()
            if new_hash:
                fresh.password_hash = new_hash
            session.add(fresh)
            audit.record(session, action='sign_in', actor_user_id=fresh.id, actor_role=fresh.role,
                         source_ip=ip)
            identity = to_identity(fresh)
        else:  # the failure was counted when the attempt was reserved
            lock_wait = SIGN_IN_ACCOUNT_IP.retry_after(session, pair(email, ip))
            if fresh is not None:
                fresh.failed_sign_ins += 1
                session.add(fresh)
            reason = ('unknown email' if user is None
                      else 'inactive' if not user.is_active else 'wrong password')
            audit.record(session, action='sign_in_failed', actor_user_id=user.id if user else None,
                         outcome='failed', source_ip=ip, detail=reason)
    if not ok:
        if lock_wait:
            raise RateLimited(locked_message(lock_wait))
        raise SignInFailed(SIGN_IN_FAILED)
    return identity


def sign_out(*, user_id: int, ip: str) -> None:
    with write_session() as session:
        user = session.get(User, user_id)
        audit.record(session, action='sign_out', actor_user_id=user.id if user else None,
                     actor_role=user.role if user else '', source_ip=ip or '')


def get_identity(user_id: int) -> Identity | None:
    with read_session() as session:
        user = session.get(User, user_id)
        return to_identity(user) if user is not None and user.is_active else None


def sign_in_still_valid(*, user_id: int, role: str, verified_at: float) -> bool:
    """Does a sign-in made (or re-confirmed) at `verified_at` still stand? Not once the user is
    deactivated, their role changed, or their password changed after it (a reset ends every session)."""
    with read_session() as session:
        row = session.connection().execute(
            select(User.is_active, User.role, User.password_changed_at).where(User.id == user_id)).first()
    if row is None or not row.is_active or row.role != role:
        return False
    return row.password_changed_at is None or row.password_changed_at.timestamp() <= verified_at + 1
