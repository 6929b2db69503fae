"""What the identity flows share: the Identity view, email and new-password checks, the lockout keys."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email

from portal.auth.passwords import password_problems
from portal.auth.ratelimit import Policy, wait_message
from portal.config import get_settings
from portal.db import read_session
from portal.errors import NotFound, RateLimited
from portal.models import Role, User

MAX_EMAIL = 254
MAX_NAME = 80
LONGEST_PASSWORD_TRIED = 1024  # longer sign-in input is refused without hashing
FIX_FIELDS = 'Please fix the fields marked below.'


@dataclass(frozen=True)
class Identity:
    user_id: int
    role: str
    email: str
    first_name: str
    needs_mfa: bool
    mfa_enrolled: bool


def to_identity(user: User) -> Identity:
    exempt = user.mfa_exempt and get_settings().demo_mode
    return Identity(user_id=user.id, role=user.role, email=user.email, first_name=user.first_name,
                    needs_mfa=user.role in (Role.staff, Role.admin) and not exempt,
                    mfa_enrolled=bool(user.totp_secret and user.totp_enabled_at))


def has_control_characters(text: str) -> bool:
    """NUL, tabs, newlines and the like never belong in a name, account number or email."""
    return any(unicodedata.category(character) in ('Cc', 'Cf') for character in text)


def normalize_email(email: str) -> str:
    """Trimmed, NFC, lower case; an address with control characters normalises to '' (no such user)."""
    email = unicodedata.normalize('NFC', (email or '').strip()).lower()
    return '' if has_control_characters(email) else email


def check_email(email: str) -> tuple[str | None, str]:
    """(message or None, normalised email)."""
    email = (email or '').strip()
    if not email:
        return 'Enter your email address.', ''
    if len(email) > MAX_EMAIL:
        return f'Use at most {MAX_EMAIL} characters.', ''
    try:
        result = validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error), ''
    return None, normalize_email(result.normalized)


def new_password_errors(password: str, confirm: str, *, field: str, user_inputs: list[str]) -> dict[str, str]:
    """Field errors for a new password and its confirmation ({} when both are fine)."""
    errors: dict[str, str] = {}
    problems = password_problems(password or '', user_inputs=user_inputs)
    if problems:
        errors[field] = ' '.join(problems)
    if (password or '') != (confirm or ''):
        errors['password_confirm'] = "The passwords don't match."  # noqa: S105
    return errors


def hit_quietly(session, /, policy: Policy, key: str) -> None:  # noqa: ANN001
    """Count a failure; a concurrent request may already have filled the window, which is fine."""
    try:
        policy.hit(session, key)
    except RateLimited:
        pass


def locked_message(wait: timedelta) -> str:
    return (f'Too many failed sign-ins for this account from here. Please wait {wait_message(wait)} and try '
            'again, or reset your password.')


def pair(email: str, ip: str) -> str:
    """The key of one account tried from one address."""
    return f'{email}|{ip}'


def active_user(user_id: int) -> User:
    """The user, or NotFound when there is none or they are deactivated."""
    with read_session() as session:
        user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound()
    return user
