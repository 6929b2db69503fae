"""Registration: a patient user linked to the account whose patient matches last name and date of birth."""
from __future__ import annotations

import unicodedata
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal import audit
from portal.auth.passwords import hash_password
from portal.auth.ratelimit import REGISTRATION_IP, wait_message
from portal.db import read_session, write_session
from portal.errors import DomainError, RateLimited, ValidationFailed
from portal.models import AccountAccess, GuarantorAccount, Patient, Role, User
from portal.models.users import Relationship
from portal.services.identity.shared import (
    FIX_FIELDS,
    MAX_NAME,
    Identity,
    check_email,
    has_control_characters,
    new_password_errors,
    to_identity,
)
from portal.services.practice import load_practice_today

MAX_ACCOUNT_NUMBER = 20
REGISTRATION_FAILED = ("We couldn't match those details to an account. Check the account number on your "
                       'statement and try again.')


class RegistrationFailed(DomainError):
    pass


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
    email_error, email = check_email(email)
    if email_error:
        errors['email'] = email_error
    errors.update(new_password_errors(password, password_confirm, field='password',
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
                identity = to_identity(user)
    except IntegrityError:  # the same email registered concurrently
        identity = None
    if identity is None:
        raise RegistrationFailed(REGISTRATION_FAILED)
    return identity
