"""Test data for reminders and notifications: a household that owes money on a statement, with a portal
user, and helpers to read the outbox."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.models import Notification, Statement
from portal.services import ledger, preferences
from tests.factories import make_account, make_user

_codes = itertools.count(1)


@dataclass(frozen=True)
class Household:
    account_id: int
    user_id: int
    statement_id: int
    email: str


def billed_household(*, owed: int = 12500, due_date: date | None = None, issued_at: datetime | None = None,
                     phone: str | None = None, last_name: str = 'Okafor') -> Household:
    """An account owing `owed` (one charge), a statement for it, and a patient user with access."""
    number = next(_codes)
    account, [patient] = make_account(guarantor_first_name='Maria', guarantor_last_name=last_name,
                                      patients=[{'first_name': 'Maria', 'last_name': last_name,
                                                 'date_of_birth': date(1979, 11, 23)}])
    email = f'maria{number}@example.com'
    user = make_user(email=email, first_name='Maria', last_name=last_name, account=account, mobile_phone=phone)
    issued = issued_at or utcnow()
    with write_session() as session:
        ledger.post(session, account_id=account.id, kind='charge', amount=owed, external_ref=f'test-charge-{number}',
                    effective_date=issued.date() - timedelta(days=10), patient_id=patient.id)
        statement = Statement(account_id=account.id, period=f'{issued:%Y-%m}', statement_date=issued.date(),
                              due_date=due_date or issued.date() + timedelta(days=21), issued_at=issued,
                              new_charges=owed, new_balance=owed, amount_due=owed,
                              quick_pay_code=f'TESTCODE{number:04d}')
        session.add(statement)
        session.flush()
        statement_id = statement.id
    return Household(account_id=account.id, user_id=user.id, statement_id=statement_id, email=email)


def pay_off(household: Household, amount: int = 12500) -> None:
    with write_session() as session:
        ledger.post(session, account_id=household.account_id, kind='patient_payment', amount=-amount,
                    external_ref=f'test-payment-{household.account_id}-{amount}', effective_date=utcnow().date())


def choose(household: Household, *, phone: str = '', **choices: dict[str, bool]) -> None:
    """Set a household user's preferences, e.g. choose(h, phone='5552013344', reminder={'sms': True})."""
    full = {kind: {'email': True, 'sms': False} for kind in preferences.KIND_LABELS}
    for kind, channels in choices.items():
        full[kind].update(channels)
    with write_session() as session:
        preferences.save_preferences(session, actor=Actor(user_id=household.user_id, role='patient'),
                                     choices=full, mobile_phone=phone)


def outbox(**filters: object) -> list[Notification]:
    with read_session() as session:
        query = select(Notification).order_by(Notification.id)
        for name, value in filters.items():
            query = query.where(getattr(Notification, name) == value)
        return list(session.exec(query).all())


def keys() -> list[str]:
    return [row.dedupe_key for row in outbox()]
