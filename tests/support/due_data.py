"""Households for the "what is due" journeys (issue 12), written into a running portal's database: one with a
visit still with insurance, one on a plan whose latest statement has only a previous balance; and, for their
payment history, a check paid at the desk (part of it refunded, with a reason) on either account."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import dispose_engine, init_engine, write_session
from portal.models import LedgerEntry, Statement
from portal.money import parse_amount
from portal.services import ledger
from portal.services.payments import staff
from portal.services.plans import signing
from portal.services.practice import load_practice_today as practice_today
from portal.services.statement_run import quick_pay_code
from tests.factories import make_account, make_charges, make_claim, make_user


@dataclass(frozen=True)
class DueHouseholds:
    pending_email: str
    plan_email: str
    pending_account: int
    plan_account: int


def _statement(account_id: int, *, days_ago: int, first: int, previous: int, new_charges: int,
               waiting: int = 0) -> None:
    with write_session() as session:
        last = session.exec(select(func.max(LedgerEntry.id)).where(LedgerEntry.account_id == account_id)).one()
        day = practice_today() - timedelta(days=days_ago)
        balance = previous + new_charges
        session.add(Statement(account_id=account_id, period=f'{day:%Y-%m}', statement_date=day,
                              due_date=day + timedelta(days=21), first_entry_id=first, last_entry_id=last,
                              previous_balance=previous, new_charges=new_charges, new_balance=balance,
                              waiting_for_insurance=waiting, amount_due=balance - waiting,
                              quick_pay_code=quick_pay_code()))


def build(database_url: str, *, tag: str) -> DueHouseholds:
    """Both households in the portal's database (its own engine, closed again); their patients sign in with
    tests.factories.STRONG_PASSWORD."""
    init_engine(database_url)
    try:
        pending, _ = make_account()
        charges = make_charges(pending, [5000, 15500], start=practice_today() - timedelta(days=30))
        make_claim(charges[1])
        pending_email = f'waiting-{tag}@example.com'
        make_user(email=pending_email, account=pending, first_name='Maria')
        _statement(pending.id, days_ago=2, first=0, previous=0, new_charges=20500, waiting=15500)

        payer, _ = make_account()
        make_charges(payer, [96174], start=practice_today() - timedelta(days=80))
        plan_email = f'plan-{tag}@example.com'
        user = make_user(email=plan_email, account=payer, first_name='Maria')
        _statement(payer.id, days_ago=70, first=0, previous=0, new_charges=96174)
        with write_session() as session:
            charged = session.exec(select(func.max(LedgerEntry.id)).where(LedgerEntry.account_id == payer.id)).one()
        _statement(payer.id, days_ago=35, first=charged, previous=96174, new_charges=0)  # only a previous balance
        with write_session() as session:
            signing.create(session, Actor(user.id, 'patient'), account_id=payer.id, day_of_month=1, months=4,
                         signed_name='Maria Lopez', consent=True, autopay_method_id=None)
        return DueHouseholds(pending_email, plan_email, pending.id, payer.id)
    finally:
        dispose_engine()


def pay_by_check(database_url: str, *, account_id: int, amount: str, check: str, refund: str = '',
                 reason: str = '') -> None:
    """A check taken at the desk for `amount` (dollars as typed), then `refund` of it sent back for `reason`
    (confirmed at whatever balance it leaves), by a clerk of the portal's database."""
    init_engine(database_url)
    try:
        clerk = Actor(make_user(role='staff').id, 'staff')
        with write_session() as session:
            payment_id = staff.record_offline_payment(session, actor=clerk, account_id=account_id, amount_text=amount,
                                                      method='check', reference=check)
        if refund:
            with write_session() as session:
                after = ledger.balance(session, account_id) + parse_amount(refund)
            staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text=refund, reason=reason,
                                 balance_after=after)
    finally:
        dispose_engine()
