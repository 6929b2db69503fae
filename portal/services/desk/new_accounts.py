"""Staff open a guarantor account and its patients (a walk-in, a phone call). Before saving, people with
the same name and date of birth already on file are shown (`duplicates`); saving over them takes the
clerk's confirmation. Account numbers and MRNs are random (not guessable from a neighbour's)."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.errors import ValidationFailed
from portal.models import GuarantorAccount, Patient
from portal.models.accounts import search_key
from portal.services.person_names import full_name
from portal.services.practice import practice_today

RELATIONSHIPS = {'self': 'The guarantor', 'spouse': 'Spouse', 'child': 'Child', 'other': 'Other'}
EMAIL = re.compile(r'[^@\s]+@[^@\s]+\.[^@\s]+')


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    date_of_birth: date | None
    relationship: str = 'self'


@dataclass(frozen=True)
class NewAccountForm:
    first_name: str
    last_name: str
    email: str = ''
    phone: str = ''
    address_line1: str = ''
    city: str = ''
    state: str = ''
    postal_code: str = ''
    patients: tuple[NewPatient, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Duplicate:
    account_id: int
    account_number: str
    name: str
    date_of_birth: date


class PossibleDuplicates(ValidationFailed):
    def __init__(self, found: tuple[Duplicate, ...]) -> None:
        super().__init__('Someone with this name and date of birth is already on file. Open their account, or '
                         'create a new one anyway.')
        self.found = found


def _clean(session: Session, form: NewAccountForm) -> NewAccountForm:
    errors = {}
    if not form.first_name.strip():
        errors['first_name'] = 'Enter the first name.'
    if not form.last_name.strip():
        errors['last_name'] = 'Enter the last name.'
    if form.email.strip() and not EMAIL.fullmatch(form.email.strip()):
        errors['email'] = 'Enter an email like name@example.com.'
    if form.state.strip() and not re.fullmatch(r'[A-Za-z]{2}', form.state.strip()):
        errors['state'] = 'Two letters, like TX.'
    if not form.patients:
        errors['patients'] = 'Add at least one patient.'
    today = practice_today(session)
    for index, patient in enumerate(form.patients):
        if not patient.first_name.strip() or not patient.last_name.strip():
            errors[f'patient_{index}'] = 'Enter the patient\'s first and last name.'
        elif patient.date_of_birth is None or not date(1900, 1, 1) <= patient.date_of_birth <= today:
            errors[f'patient_{index}'] = 'Enter a date of birth like 03/15/1984.'
        elif patient.relationship not in RELATIONSHIPS:
            errors[f'patient_{index}'] = 'Choose how the patient is related to the guarantor.'
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    return form


def duplicates(session: Session, /, patients: tuple[NewPatient, ...]) -> tuple[Duplicate, ...]:
    """Patients on file with the same name (accents and case ignored) and date of birth (index lookups)."""
    wanted = [and_(Patient.first_key == search_key(p.first_name), Patient.last_key == search_key(p.last_name),
                   Patient.date_of_birth == p.date_of_birth) for p in patients if p.date_of_birth]
    if not wanted:
        return ()
    rows = session.connection().execute(
        select(Patient.account_id, GuarantorAccount.account_number, Patient.first_name, Patient.last_name,
               Patient.date_of_birth).join(GuarantorAccount, GuarantorAccount.id == Patient.account_id)
        .where(or_(*wanted)).order_by(col(Patient.id)).limit(20)).all()
    return tuple(Duplicate(r.account_id, r.account_number, full_name(r.first_name, r.last_name), r.date_of_birth)
                 for r in rows)


def _unique(session: Session, column, prefix: str) -> str:  # noqa: ANN001
    while True:
        value = f'{prefix}{secrets.randbelow(90_000_000) + 10_000_000}'
        if session.connection().execute(select(column).where(column == value)).first() is None:
            return value


def may_open_account(session: Session, /, *, actor: Actor) -> bool:
    """True for staff, who may open the new-account form; anyone else is refused (a 404, audited once)."""
    require_staff(session, actor, purpose='create_account')
    return True


def create_account(session: Session, /, *, actor: Actor, form: NewAccountForm, confirmed: bool = False) -> int:
    """Open the account with its patients; PossibleDuplicates (nothing saved) unless `confirmed`."""
    require_staff(session, actor, purpose='create_account')
    form = _clean(session, form)
    if not confirmed:
        found = duplicates(session, form.patients)
        if found:
            raise PossibleDuplicates(found)
    account = GuarantorAccount(
        account_number=_unique(session, GuarantorAccount.account_number, 'A'),
        guarantor_first_name=form.first_name.strip()[:80], guarantor_last_name=form.last_name.strip()[:80],
        email=form.email.strip().lower() or None, phone=form.phone.strip()[:32] or None,
        address_line1=form.address_line1.strip()[:120], city=form.city.strip()[:80],
        state=form.state.strip().upper()[:2], postal_code=form.postal_code.strip()[:10])
    session.add(account)
    session.flush()
    for patient in form.patients:
        session.add(Patient(account_id=account.id, mrn=_unique(session, Patient.mrn, 'M'),
                            first_name=patient.first_name.strip()[:80], last_name=patient.last_name.strip()[:80],
                            date_of_birth=patient.date_of_birth, relationship_to_guarantor=patient.relationship))
    session.flush()
    audit.record(session, action='account_created', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='account', entity_id=account.id, account_id=account.id, source_ip=actor.ip,
                 detail=f'patients={len(form.patients)}' + (' over a possible duplicate' if confirmed else ''))
    return account.id
