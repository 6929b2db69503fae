"""Small builders for tests: guarantor accounts with patients, users with passwords.

Each helper opens its own write session (or uses the one given) and returns detached rows whose
attributes stay readable. Argon2 hashes are cached per password for speed.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime
from functools import lru_cache

from sqlmodel import Session

from portal.clock import utcnow
from portal.db import write_session
from portal.models import AccountAccess, GuarantorAccount, Patient, User

STRONG_PASSWORD = 'quiet-lantern-meadow-47'
_numbers = itertools.count(1)


@lru_cache(maxsize=64)
def password_hash(password: str = STRONG_PASSWORD) -> str:
    from portal.auth.passwords import hash_password
    return hash_password(password)


def _next() -> int:
    return next(_numbers)


def _in_session(session: Session | None, build):  # noqa: ANN001, ANN202
    if session is not None:
        result = build(session)
        session.flush()
        return result
    with write_session() as own:
        result = build(own)
        own.flush()
    return result


def make_account(*, session: Session | None = None, account_number: str | None = None,
                 guarantor_first_name: str = 'Maria', guarantor_last_name: str = 'Lopez',
                 email: str | None = None, patients: list[dict] | None = None,
                 **fields) -> tuple[GuarantorAccount, list[Patient]]:
    """An account and its patients. Each patient dict may set first_name, last_name, date_of_birth, ...;
    by default one patient: the guarantor, born 1984-03-15."""
    number = account_number or f'A{100000 + _next()}'
    specs = patients if patients is not None else [
        {'first_name': guarantor_first_name, 'last_name': guarantor_last_name,
         'date_of_birth': date(1984, 3, 15), 'relationship_to_guarantor': 'self'}]

    def build(session: Session) -> tuple[GuarantorAccount, list[Patient]]:
        account = GuarantorAccount(account_number=number, guarantor_first_name=guarantor_first_name,
                                   guarantor_last_name=guarantor_last_name, email=email, **fields)
        session.add(account)
        session.flush()
        rows = []
        for spec in specs:
            values = {'first_name': 'Sam', 'last_name': guarantor_last_name, 'date_of_birth': date(2010, 6, 1),
                      'mrn': f'M{200000 + _next()}', **spec}
            patient = Patient(account_id=account.id, **values)
            session.add(patient)
            rows.append(patient)
        return account, rows

    return _in_session(session, build)


def make_user(*, session: Session | None = None, email: str | None = None, password: str = STRONG_PASSWORD,
              role: str = 'patient', first_name: str = 'Pat', last_name: str = 'Lee',
              account: GuarantorAccount | int | None = None, relationship: str = 'self',
              totp_secret: str | None = None, **fields) -> User:
    """A user with a password (hash cached); linked to `account` when given; TOTP enrolled if a secret."""
    address = (email or f'user{_next()}@example.com').strip().lower()
    enrolled: datetime | None = utcnow() if totp_secret else None

    def build(session: Session) -> User:
        user = User(email=address, password_hash=password_hash(password), role=role, first_name=first_name,
                    last_name=last_name, totp_secret=totp_secret, totp_enabled_at=enrolled, **fields)
        session.add(user)
        session.flush()
        if account is not None:
            account_id = account if isinstance(account, int) else account.id
            session.add(AccountAccess(user_id=user.id, account_id=account_id, relationship=relationship))
        return user

    return _in_session(session, build)


def make_visit(*, account: GuarantorAccount, patient: Patient, date_of_service: date,
               lines: list[tuple[str, str, int]], session: Session | None = None) -> list[int]:
    """An encounter (with a provider and a location made for it) and its charges, each posted to the
    ledger as a charge entry; returns the charge ids. Lines are (code, description, amount)."""
    from portal.models import Charge, Encounter, Location, Provider
    from portal.services import ledger

    def build(session: Session) -> list[int]:
        number = _next()
        provider = Provider(npi=f'{1000000000 + number}', first_name='Alicia', last_name='Moreno')
        location = Location(name=f'Clinic {number}')
        session.add_all([provider, location])
        session.flush()
        encounter = Encounter(account_id=account.id, patient_id=patient.id, provider_id=provider.id,
                              location_id=location.id, date_of_service=date_of_service)
        session.add(encounter)
        session.flush()
        ids = []
        for code, description, amount in lines:
            charge = Charge(encounter_id=encounter.id, account_id=account.id, patient_id=patient.id, code=code,
                            description=description, amount=amount, date_of_service=date_of_service)
            session.add(charge)
            session.flush()
            ledger.post(session, account_id=account.id, kind='charge', amount=amount,
                        external_ref=f'test-charge-{charge.id}', effective_date=date_of_service,
                        patient_id=patient.id, charge_id=charge.id)
            ids.append(charge.id)
        return ids

    return _in_session(session, build)


def make_charges(account: GuarantorAccount | int, amounts: list[int], *, session: Session | None = None,
                 start: date = date(2026, 1, 5)) -> list[int]:
    """Charges the patient owes (one encounter each, a day apart, oldest first) posted to the ledger;
    returns the charge ids. Builds a provider and location when none exist."""
    from datetime import timedelta

    from sqlmodel import select

    from portal.models import Charge, Encounter, Location, Provider
    from portal.services import ledger
    account_id = account if isinstance(account, int) else account.id

    def build(session: Session) -> list[int]:
        provider = session.exec(select(Provider)).first()
        if provider is None:
            provider = Provider(npi=f'{1000000000 + _next()}', first_name='Ana', last_name='Reyes')
            session.add(provider)
        location = session.exec(select(Location)).first()
        if location is None:
            location = Location(name='Riverside Main Clinic')
            session.add(location)
        patient = session.exec(select(Patient).where(Patient.account_id == account_id)).first()
        session.flush()
        ids = []
        for index, amount in enumerate(amounts):
            day = start + timedelta(days=index)
            encounter = Encounter(account_id=account_id, patient_id=patient.id, provider_id=provider.id,
                                  location_id=location.id, date_of_service=day)
            session.add(encounter)
            session.flush()
            charge = Charge(encounter_id=encounter.id, account_id=account_id, patient_id=patient.id, code='99213',
                            description='Office visit', amount=amount, date_of_service=day)
            session.add(charge)
            session.flush()
            ledger.post(session, account_id=account_id, kind='charge', amount=amount,
                        external_ref=f'test:chg:{charge.id}', effective_date=day, patient_id=patient.id,
                        charge_id=charge.id)
            ids.append(charge.id)
        return ids

    return _in_session(session, build)


def make_saved_method(account: GuarantorAccount | int, *, behaviour: str = 'succeed', session: Session | None = None,
                      user_id: int | None = None, is_default: bool = True):  # noqa: ANN201
    """A DemoGateway saved method: 'succeed' (pm_card_visa-like), 'decline', 'authenticate' or 'bank'."""
    from portal.services.payments import add_demo_method
    account_id = account if isinstance(account, int) else account.id
    return _in_session(session, lambda own: add_demo_method(own, account_id=account_id, behaviour=behaviour,
                                                            user_id=user_id, is_default=is_default))


def make_paid_attempt(*, signed_in: bool = False, amount: int = 5000) -> int:
    """A new account's balance paid with a saved card, by a guest (no user) or by its signed-in user;
    returns the attempt id (needs the gateway to be the demo one)."""
    from portal.services.payments import charge_saved_method, new_key
    account, _ = make_account()
    make_charges(account, [amount])
    method = make_saved_method(account)
    payer = make_user(account=account).id if signed_in else None
    out = charge_saved_method(account_id=account.id, method_id=method.id, amount=amount, target='balance',
                              idempotency_key=new_key(), user_id=payer)
    assert out.status == 'succeeded', out
    return out.attempt_id


def make_claim(charge_id: int, *, status: str = 'in_process', session: Session | None = None) -> int:
    """A claim for the visit of this charge (its insurer has not answered while `status` is pending);
    returns the claim id."""
    from portal.models import Charge, Claim

    def build(session: Session) -> int:
        charge = session.get(Charge, charge_id)
        claim = Claim(account_id=charge.account_id, patient_id=charge.patient_id, encounter_id=charge.encounter_id,
                      claim_number=f'CLM{100000 + _next()}', status=status, billed_amount=charge.amount)
        session.add(claim)
        session.flush()
        return int(claim.id)

    return _in_session(session, build)


def make_quick_pay_statement() -> GuarantorAccount:
    """An account whose patient Lena (born 1990-02-03) owes $50.00 on a statement with the quick-pay code
    ABCD-EFGH-JKLM (stored as 'ABCDEFGHJKLM')."""
    from portal.models import Statement
    account, _ = make_account(patients=[{'first_name': 'Lena', 'date_of_birth': date(1990, 2, 3)}])
    make_charges(account, [5000])
    with write_session() as session:
        session.add(Statement(account_id=account.id, period='2026-02', statement_date=date(2026, 2, 1),
                              due_date=date(2026, 2, 22), amount_due=5000, new_balance=5000,
                              quick_pay_code='ABCDEFGHJKLM'))
    return account
