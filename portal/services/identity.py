"""Identity use-cases: sign-in, registration, sign-out, password reset and change, TOTP, CLI users.

Each function opens its own sessions. Argon2 runs between transactions, never inside a write
transaction. Failures that must be remembered (rate-limit hits, audit rows) are committed first
and the error is raised after the transaction closes. Messages never reveal whether an email is
registered. Field errors are keyed by the field they are about: 'password' and 'password_confirm'
for a new password (whatever the argument is called), 'current_password', 'email', and so on.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal import audit
from portal.auth import mfa
from portal.auth.passwords import dummy_hash, hash_password, needs_rehash, password_problems, verify_password
from portal.auth.ratelimit import (
    LONGEST_WINDOW,
    REGISTRATION_IP,
    RESET_REQUEST_EMAIL,
    RESET_REQUEST_IP,
    SIGN_IN_ACCOUNT,
    SIGN_IN_ACCOUNT_IP,
    SIGN_IN_IP,
    TOTP_USED,
    TOTP_USER,
    Policy,
    purge_expired,
    wait_message,
)
from portal.auth.ratelimit import release as release_hit
from portal.clock import utcnow
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound, RateLimited, ValidationFailed
from portal.models import AccountAccess, GuarantorAccount, PasswordResetToken, Patient, Role, SessionHandoff, User
from portal.models.users import Relationship
from portal.notify.outbox import enqueue
from portal.services.password_reset import placeholder_digest, token_digest
from portal.services.practice import cached_practice, load_practice_today

logger = logging.getLogger(__name__)

RESET_TOKEN_LIFETIME = timedelta(minutes=30)
MAX_EMAIL = 254
MAX_NAME = 80
MAX_ACCOUNT_NUMBER = 20
_LONGEST_PASSWORD_TRIED = 1024  # longer sign-in input is refused without hashing

SIGN_IN_FAILED = 'The email or password is not right.'
REGISTRATION_FAILED = ("We couldn't match those details to an account. Check the account number on your "
                       'statement and try again.')
TOKEN_INVALID = 'This reset link has expired or was already used. Ask for a new one.'  # noqa: S105
CODE_WRONG = 'That code is not right. Check the time on your phone and try again.'
FIX_FIELDS = 'Please fix the fields marked below.'


class SignInFailed(DomainError):
    pass


class RegistrationFailed(DomainError):
    pass


class TokenInvalid(DomainError):
    pass


@dataclass(frozen=True)
class Identity:
    user_id: int
    role: str
    email: str
    first_name: str
    needs_mfa: bool
    mfa_enrolled: bool


def _identity(user: User) -> Identity:
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


def _hit_quietly(session, policy: Policy, key: str) -> None:  # noqa: ANN001
    """Count a failure; a concurrent request may already have filled the window, which is fine."""
    try:
        policy.hit(session, key)
    except RateLimited:
        pass


def _locked_message(wait: timedelta) -> str:
    return (f'Too many failed sign-ins for this account from here. Please wait {wait_message(wait)} and try '
            'again, or reset your password.')


def _pair(email: str, ip: str) -> str:
    """The key of one account tried from one address."""
    return f'{email}|{ip}'


# --- sign-in and sign-out --------------------------------------------------------------------------

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
            pair_hit = SIGN_IN_ACCOUNT_IP.hit(session, _pair(email, ip))
            SIGN_IN_ACCOUNT.hit(session, email)
        except RateLimited as refused:
            for reserved in (ip_hit, pair_hit):  # a refused attempt checks nothing: count nothing
                if reserved is not None:
                    release_hit(session, reserved)
            wait = SIGN_IN_ACCOUNT_IP.retry_after(session, _pair(email, ip))
            limited = RateLimited(_locked_message(wait)) if wait else refused
            audit.record(session, action='sign_in_failed', actor_user_id=user.id if user else None,
                         outcome='denied', source_ip=ip,
                         detail='locked (address)' if wait else 'rate limited')
    if limited is not None:
        raise limited

    if len(password) > _LONGEST_PASSWORD_TRIED:
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
            SIGN_IN_ACCOUNT_IP.clear(session, _pair(email, ip))
            if ip_hit is not None:
                release_hit(session, ip_hit)
            fresh.failed_sign_ins, fresh.locked_until, fresh.last_sign_in_at = 0, None, utcnow()
            if new_hash:
                fresh.password_hash = new_hash
            session.add(fresh)
            audit.record(session, action='sign_in', actor_user_id=fresh.id, actor_role=fresh.role,
                         source_ip=ip)
            identity = _identity(fresh)
        else:  # the failure was counted when the attempt was reserved
            lock_wait = SIGN_IN_ACCOUNT_IP.retry_after(session, _pair(email, ip))
            if fresh is not None:
                fresh.failed_sign_ins += 1
                session.add(fresh)
            reason = ('unknown email' if user is None
                      else 'inactive' if not user.is_active else 'wrong password')
            audit.record(session, action='sign_in_failed', actor_user_id=user.id if user else None,
                         outcome='failed', source_ip=ip, detail=reason)
    if not ok:
        if lock_wait:
            raise RateLimited(_locked_message(lock_wait))
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
        return _identity(user) if user is not None and user.is_active else None


def sign_in_still_valid(*, user_id: int, role: str, verified_at: float) -> bool:
    """Does a sign-in made (or re-confirmed) at `verified_at` still stand? Not once the user is
    deactivated, their role changed, or their password changed after it (a reset ends every session)."""
    with read_session() as session:
        row = session.connection().execute(
            select(User.is_active, User.role, User.password_changed_at).where(User.id == user_id)).first()
    if row is None or not row.is_active or row.role != role:
        return False
    return row.password_changed_at is None or row.password_changed_at.timestamp() <= verified_at + 1


# --- registration ----------------------------------------------------------------------------------

_DATE_FORMATS = ('%Y-%m-%d', '%m/%d/%Y')


def parse_date_of_birth(value: date | str | None) -> date | None:
    """A date, 'YYYY-MM-DD' or 'MM/DD/YYYY'; None when it is none of these."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = (value or '').strip()
    if not text or len(text) > 10:
        return None
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
    return None


def _email_error(email: str) -> tuple[str | None, str]:
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


def _new_password_errors(password: str, confirm: str, *, field: str,
                         user_inputs: list[str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    problems = password_problems(password or '', user_inputs=user_inputs)
    if problems:
        errors[field] = ' '.join(problems)
    if (password or '') != (confirm or ''):
        errors['password_confirm'] = "The passwords don't match."  # noqa: S105
    return errors


def _name_key(name: str) -> str:
    """Case and spacing folded; accents kept as typed (compared as stored)."""
    return ' '.join(unicodedata.normalize('NFC', name or '').split()).casefold()


def register(*, account_number: str, last_name: str, date_of_birth: date | str, email: str, password: str,
             password_confirm: str, relationship: str, ip: str) -> Identity:
    """Create a patient user linked to the account whose patient matches last name and date of birth."""
    ip = (ip or '')[:45]
    errors: dict[str, str] = {}
    number = (account_number or '').strip()
    if not number:
        errors['account_number'] = 'Enter the account number from your statement.'
    elif len(number) > MAX_ACCOUNT_NUMBER:
        errors['account_number'] = f'An account number has at most {MAX_ACCOUNT_NUMBER} characters.'
    elif has_control_characters(number):
        errors['account_number'] = 'Use only letters and digits from your statement.'
    last = (last_name or '').strip()
    if not last:
        errors['last_name'] = "Enter the patient's last name."
    elif len(last) > MAX_NAME:
        errors['last_name'] = f'Use at most {MAX_NAME} characters.'
    elif has_control_characters(last):
        errors['last_name'] = 'Use only letters, spaces, hyphens and apostrophes.'
    dob = parse_date_of_birth(date_of_birth)
    if dob is None:
        errors['date_of_birth'] = 'Enter the date of birth like 1984-03-15 or 03/15/1984.'
    elif dob > load_practice_today() or dob.year < 1900:
        errors['date_of_birth'] = 'Check the date of birth: it looks wrong.'
    email_error, email = _email_error(email)
    if email_error:
        errors['email'] = email_error
    errors.update(_new_password_errors(password, password_confirm, field='password',
                                       user_inputs=[email, last]))
    if relationship not in {item.value for item in Relationship}:
        errors['relationship'] = 'Choose how you are related to the patient.'
    if errors:
        raise ValidationFailed(FIX_FIELDS, field_errors=errors)

    if ip:
        with read_session() as session:
            wait = REGISTRATION_IP.retry_after(session, ip)
        if wait:
            raise RateLimited(f'Too many attempts. Please wait {wait_message(wait)} and try again.')
    password_hash = hash_password(password)  # before the write transaction opens

    identity: Identity | None = None
    try:
        with write_session() as session:
            if ip:
                REGISTRATION_IP.hit(session, ip)
            account = session.exec(select(GuarantorAccount).where(
                func.upper(func.trim(GuarantorAccount.account_number)) == number.upper())).first()
            patient = None
            if account is not None:
                candidates = session.exec(select(Patient).where(Patient.account_id == account.id,
                                                                Patient.date_of_birth == dob)).all()
                patient = next((p for p in candidates if _name_key(p.last_name) == _name_key(last)), None)
            taken = session.exec(select(User.id).where(User.email == email)).first() is not None
            if patient is None or taken:
                audit.record(session, action='register_failed', outcome='failed', source_ip=ip,
                             detail='email taken' if patient is not None else 'no match')
            else:
                self_ = relationship == Relationship.self_
                user = User(email=email, password_hash=password_hash, role=Role.patient,
                            first_name=patient.first_name if self_ else account.guarantor_first_name,
                            last_name=patient.last_name if self_ else account.guarantor_last_name)
                session.add(user)
                session.flush()
                session.add(AccountAccess(user_id=user.id, account_id=account.id, relationship=relationship))
                audit.record(session, action='register', actor_user_id=user.id, actor_role=user.role,
                             entity_type='user', entity_id=user.id, account_id=account.id, source_ip=ip)
                identity = _identity(user)
    except IntegrityError:  # the same email registered concurrently
        identity = None
    if identity is None:
        raise RegistrationFailed(REGISTRATION_FAILED)
    return identity


# --- password reset and change ---------------------------------------------------------------------

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
    SIGN_IN_ACCOUNT_IP.clear(session, _pair(user.email, ip))  # a reset from a locked-out address frees it
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
    errors = _new_password_errors(new_password, password_confirm, field='password',
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
        wait = SIGN_IN_ACCOUNT_IP.retry_after(session, _pair(user.email, ip))
    if wait:
        raise RateLimited(_locked_message(wait))
    if not verify_password(user.password_hash, (current_password or '')[:_LONGEST_PASSWORD_TRIED]):
        with write_session() as session:
            _hit_quietly(session, SIGN_IN_ACCOUNT_IP, _pair(user.email, ip))
            audit.record(session, action='password_change_failed', actor_user_id=user.id,
                         actor_role=user.role, outcome='failed', source_ip=ip,
                         detail='wrong current password')
        raise ValidationFailed('Your current password is not right.',
                               field_errors={'current_password': 'This is not your current password.'})
    errors = _new_password_errors(new_password, password_confirm, field='password',
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


# --- TOTP ------------------------------------------------------------------------------------------

def _active_user(user_id: int) -> User:
    with read_session() as session:
        user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound()
    return user


def begin_totp_enrollment(*, user_id: int) -> tuple[str, str]:
    """A new secret and its otpauth:// URI (show it with portal.auth.mfa.qr_svg); nothing is stored."""
    user = _active_user(user_id)
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
    user = _active_user(user_id)
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
            _hit_quietly(session, TOTP_USER, str(user_id))
            audit.record(session, action='mfa_failed', actor_user_id=user_id, actor_role=user.role,
                         outcome='failed', source_ip=ip, detail='enrolment')
    if not ok:
        raise DomainError(CODE_WRONG)


def verify_totp(*, user_id: int, code: str, ip: str) -> Identity:
    """The second step of a sign-in; each accepted code works once (replay guard)."""
    ip = (ip or '')[:45]
    user = _active_user(user_id)
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
    return _identity(user)


# --- administration --------------------------------------------------------------------------------

def create_user(*, email: str, password: str, role: str, first_name: str = '', last_name: str = '') -> int:
    """A user made from the command line; returns its id."""
    errors: dict[str, str] = {}
    email_error, email = _email_error(email)
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
