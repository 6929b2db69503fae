"""Password reset (a single-use emailed link) and change (by a signed-in user)."""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from portal import audit
from portal.auth.passwords import hash_password, verify_password
from portal.auth.ratelimit import RESET_REQUEST_EMAIL, RESET_REQUEST_IP, SIGN_IN_ACCOUNT, SIGN_IN_ACCOUNT_IP
from portal.clock import utcnow
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound, RateLimited, ValidationFailed
from portal.models import PasswordResetToken, User
from portal.notify.outbox import enqueue
from portal.services.identity.shared import (
    FIX_FIELDS,
    LONGEST_PASSWORD_TRIED,
    MAX_EMAIL,
    hit_quietly,
    locked_message,
    new_password_errors,
    normalize_email,
    pair,
)
from portal.services.password_reset import placeholder_digest, token_digest

logger = logging.getLogger(__name__)

RESET_TOKEN_LIFETIME = timedelta(minutes=30)
TOKEN_INVALID = 'This reset link has expired or was already used. Ask for a new one.'  # noqa: S105


class TokenInvalid(DomainError):
    pass


def _token_digest(token: str) -> str | None:
    token = (token or '').strip()
    if not token or len(token) > 128:
        return None
    return token_digest(token)


def request_password_reset(*, email: str, ip: str) -> None:
    """Email a single-use reset link if the address belongs to an active user; always silent."""
    settings = get_settings()
    ip = (ip or '')[:45]
    email = normalize_email(email)
    if not email or len(email) > MAX_EMAIL or '@' not in email:
        return
    with write_session() as session:
        try:
            if ip:
                RESET_REQUEST_IP.hit(session, ip)
            RESET_REQUEST_EMAIL.hit(session, email)
        except RateLimited:
            logger.info('Password reset request refused by the rate limit')
            return
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or not user.is_active:
            audit.record(session, action='password_reset_requested', outcome='failed', source_ip=ip,
                         detail='no active user')
        else:
            # the link is made when the email is sent (portal.services.password_reset): no usable token
            # is ever stored, not in this row and not in the outbox
            row = PasswordResetToken(user_id=user.id, token_hash=placeholder_digest(),
                                     expires_at=utcnow() + RESET_TOKEN_LIFETIME)
            session.add(row)
            session.flush()
            enqueue(session, channel='email', template='password_reset', recipient=user.email,
                    dedupe_key=f'password_reset:{row.id}', user_id=user.id,
                    context={'first_name': user.first_name})
            audit.record(session, action='password_reset_requested', actor_user_id=user.id,
                         actor_role=user.role, entity_type='password_reset_token', entity_id=row.id,
                         source_ip=ip)
    if settings.smtp_url:
        # Send from another thread whether or not the address is known, so the time this request
        # takes says nothing about which emails have accounts.
        threading.Thread(target=_deliver_now, name='reset-mail', daemon=True).start()


def _deliver_now() -> None:
    from portal.services.delivery import deliver_pending
    try:
        deliver_pending()
    except Exception:  # noqa: BLE001 - the message stays in the outbox for the delivery job
        logger.warning('Could not deliver pending email now; the outbox keeps it for the delivery job')


def _store_new_password(session, user: User, password_hash: str, *, ip: str, detail: str) -> None:  # noqa: ANN001
    now = utcnow()
    session.execute(update(PasswordResetToken)
                    .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
                    .values(used_at=now))
    user.password_hash, user.password_changed_at = password_hash, now
    user.failed_sign_ins, user.locked_until = 0, None
    session.add(user)
    SIGN_IN_ACCOUNT.clear(session, user.email)
    SIGN_IN_ACCOUNT_IP.clear(session, pair(user.email, ip))  # a reset from a locked-out address frees it
    audit.record(session, action='password_changed', actor_user_id=user.id, actor_role=user.role,
                 entity_type='user', entity_id=user.id, source_ip=ip, detail=detail)


def reset_password(*, token: str, new_password: str, password_confirm: str, ip: str) -> None:
    digest = _token_digest(token)
    with read_session() as session:
        row = (session.exec(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest)).first()
               if digest else None)
        user = session.get(User, row.user_id) if row else None
    if row is None or row.used_at or row.expires_at <= utcnow() or user is None or not user.is_active:
        raise TokenInvalid(TOKEN_INVALID)
    errors = new_password_errors(new_password, password_confirm, field='password',
                                  user_inputs=[user.email, user.first_name, user.last_name])
    if errors:
        raise ValidationFailed(FIX_FIELDS, field_errors=errors)
    password_hash = hash_password(new_password)
    with write_session() as session:
        claim = (update(PasswordResetToken)
                 .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None),
                        PasswordResetToken.expires_at > utcnow())
                 .values(used_at=utcnow()))
        claimed = session.execute(claim).rowcount == 1
        fresh = session.get(User, user.id)
        if claimed and fresh is not None and fresh.is_active:
            _store_new_password(session, fresh, password_hash, ip=(ip or '')[:45], detail='reset')
        else:
            claimed = False
    if not claimed:  # used by a concurrent request meanwhile
        raise TokenInvalid(TOKEN_INVALID)


def change_password(*, user_id: int, current_password: str, new_password: str, password_confirm: str,
                    ip: str) -> None:
    """A signed-in user's change; wrong current passwords count toward this address's sign-in lockout."""
    ip = (ip or '')[:45]
    with read_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            raise NotFound()
        wait = SIGN_IN_ACCOUNT_IP.retry_after(session, pair(user.email, ip))
    if wait:
        raise RateLimited(locked_message(wait))
    if not verify_password(user.password_hash, (current_password or '')[:LONGEST_PASSWORD_TRIED]):
        with write_session() as session:
            hit_quietly(session, SIGN_IN_ACCOUNT_IP, pair(user.email, ip))
            audit.record(session, action='password_change_failed', actor_user_id=user.id,
                         actor_role=user.role, outcome='failed', source_ip=ip,
                         detail='wrong current password')
        raise ValidationFailed('Your current password is not right.',
                               field_errors={'current_password': 'This is not your current password.'})
    errors = new_password_errors(new_password, password_confirm, field='password',
                                  user_inputs=[user.email, user.first_name, user.last_name])
    if not errors and new_password == current_password:
        errors['password'] = 'Choose a password different from your current one.'  # noqa: S105
    if errors:
        raise ValidationFailed(FIX_FIELDS, field_errors=errors)
    password_hash = hash_password(new_password)
    with write_session() as session:
        fresh = session.get(User, user.id)
        if fresh is None or not fresh.is_active:
            raise NotFound()
        _store_new_password(session, fresh, password_hash, ip=ip, detail='changed')
