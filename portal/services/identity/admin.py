"""Administration: users made from the command line, and housekeeping of dead security rows."""
from __future__ import annotations

from sqlalchemy import delete, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal import audit
from portal.auth.passwords import hash_password, password_problems
from portal.auth.ratelimit import LONGEST_WINDOW, purge_expired
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import PasswordResetToken, Role, SessionHandoff, User
from portal.services.identity.shared import FIX_FIELDS, MAX_NAME, check_email


def create_user(*, email: str, password: str, role: str, first_name: str = '', last_name: str = '') -> int:
    """A user made from the command line; returns its id."""
    errors: dict[str, str] = {}
    email_error, email = check_email(email)
    if email_error:
        errors['email'] = email_error
    if role not in {item.value for item in Role}:
        errors['role'] = 'Choose patient, staff or admin.'
    for field, value in (('first_name', first_name), ('last_name', last_name)):
        if len((value or '').strip()) > MAX_NAME:
            errors[field] = f'Use at most {MAX_NAME} characters.'
    problems = password_problems(password or '', user_inputs=[email, first_name or '', last_name or ''])
    if problems:
        errors['password'] = ' '.join(problems)
    if errors:
        raise ValidationFailed(FIX_FIELDS, field_errors=errors)
    with read_session() as session:
        taken = session.exec(select(User.id).where(User.email == email)).first() is not None
    duplicate = ValidationFailed('That email is already registered.',
                                 field_errors={'email': 'That email is already registered.'})
    if taken:
        raise duplicate
    password_hash = hash_password(password)
    try:
        with write_session() as session:
            user = User(email=email, password_hash=password_hash, role=role,
                        first_name=(first_name or '').strip(), last_name=(last_name or '').strip(),
                        password_changed_at=utcnow())
            session.add(user)
            session.flush()
            audit.record(session, action='user_created', entity_type='user', entity_id=user.id,
                         detail=f'role {role}')
            return user.id
    except IntegrityError:
        raise duplicate from None


def purge_expired_security_rows() -> int:
    """Housekeeping: delete rate-limit hits older than any window, dead reset tokens and session
    hand-offs nobody redeemed."""
    now = utcnow()
    with write_session() as session:
        removed = purge_expired(session, now - LONGEST_WINDOW)
        result = session.execute(delete(PasswordResetToken).where(
            or_(PasswordResetToken.expires_at < now, PasswordResetToken.used_at.is_not(None))))
        handoffs = session.execute(delete(SessionHandoff).where(SessionHandoff.expires_at < now))
        return removed + int(result.rowcount or 0) + int(handoffs.rowcount or 0)
