"""Home figures and object-level access: a patient sees only linked accounts; others get NotFound."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import AuditEvent, Payment, Statement
from portal.services import home, ledger
from portal.services.practice import load_practice_today as today
from tests.factories import make_account, make_user


def post(account_id: int, kind: str, amount: int, ref: str, on: date | None = None) -> None:
    with write_session() as session:
        ledger.post(session, account_id=account_id, kind=kind, amount=amount, external_ref=ref,
                    effective_date=on or today())


def test_patient_home_shows_the_balance_less_processing_payments(db: str) -> None:
    account, _ = make_account()
    patient = make_user(account=account)
    post(account.id, 'charge', 30000, 'c1')
    post(account.id, 'insurance_payment', -18000, 'i1')
    with write_session() as session:
        session.add(Statement(account_id=account.id, period='2026-11', statement_date=today(),
                              due_date=today() + timedelta(days=21), new_charges=30000, insurance_payments=18000,
                              new_balance=12000, amount_due=12000, quick_pay_code='ABCDEFGHJKMN'))
        session.add(Payment(account_id=account.id, amount=2000, method='us_bank_account', status='processing',
                            receipt_number='R-1', gateway_intent_id='pi_processing'))
    with read_session() as session:
        summary = home.patient_home(session, actor=Actor(patient.id, 'patient'))
    (only,) = summary.accounts
    assert only.balance == 12000
    assert only.processing == 2000
    assert only.amount_due == 10000
    assert only.latest_statement is not None and only.latest_statement.status == 'due'
    assert only.due_date == today() + timedelta(days=21)


def test_another_account_is_not_found_and_the_attempt_is_audited(db: str) -> None:
    mine, _ = make_account()
    theirs, _ = make_account(guarantor_last_name='Other')
    patient = make_user(account=mine)
    with write_session() as session, pytest.raises(NotFound):
        home.account_home(session, actor=Actor(patient.id, 'patient', ip='203.0.113.9'), account_id=theirs.id)
    with write_session() as session:
        with pytest.raises(NotFound):
            home.account_home(session, actor=Actor(patient.id, 'patient', ip='203.0.113.9'), account_id=theirs.id)
    with read_session() as session:
        denied = session.exec(select(AuditEvent).where(AuditEvent.outcome == 'denied')).all()
    assert denied and denied[-1].entity_id == str(theirs.id) and denied[-1].source_ip == '203.0.113.9'


def test_staff_views_of_an_account_are_audited(db: str) -> None:
    account, _ = make_account()
    clerk = make_user(role='staff')
    with write_session() as session:
        home.account_home(session, actor=Actor(clerk.id, 'staff'), account_id=account.id)
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.actor_user_id == clerk.id)).one()
    assert (event.action, event.account_id, event.outcome) == ('view_home', account.id, 'ok')


def test_staff_home_totals_and_collections_by_month(db: str) -> None:
    first, _ = make_account()
    second, _ = make_account()
    this_month = today().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    post(first.id, 'charge', 50000, 'c1', last_month)
    post(first.id, 'insurance_payment', -30000, 'i1', last_month)
    post(first.id, 'patient_payment', -5000, 'p1', this_month)
    post(second.id, 'charge', 10000, 'c2', this_month)
    post(second.id, 'patient_payment', -12000, 'p2', this_month)  # a credit balance
    with read_session() as session:
        figures = home.staff_home(session)
    assert figures.total_ar == 50000 - 30000 - 5000  # what patients owe; a credit balance is not A/R
    assert figures.collected_this_month == 17000
    assert figures.accounts_with_balance == 1
    assert len(figures.collections_by_month) == 12
    assert figures.collections_by_month[-2].insurance == 30000
    assert figures.collections_by_month[-1].month == f'{today():%Y-%m}'
    assert utcnow().tzinfo is not None


def test_a_parent_viewing_a_childs_account_is_audited(db: str) -> None:
    account, _ = make_account()
    parent = make_user(account=account, relationship='parent')
    summary = home.load_patient_home(actor=Actor(parent.id, 'patient'))
    assert [item.account_id for item in summary.accounts] == [account.id]
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.actor_user_id == parent.id)).one()
    assert (event.action, event.account_id, event.detail) == ('view_home', account.id, 'relationship=parent')
