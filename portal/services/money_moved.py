"""The one step after money moves on an account: its charge balances (the dashboard's receivables) and its
payment plan follow the ledger.

Who must call `account_money_moved`: every use-case that posts to an account's ledger or changes whether a
payment is in flight, in the same transaction, after the posting: gateway events (a payment processing,
settled or returned by the bank; a refund, a refund that failed), payments the office records (cash,
check), imported charges, and every later writer (adjustments, insurance payments, remittances, deposits).
It is idempotent, so a caller unsure whether anything changed may simply call it.
"""
from __future__ import annotations

from sqlmodel import Session

from portal import audit
from portal.config import get_settings
from portal.models import Payment
from portal.services.plans import coverage, notices
from portal.services.practice import practice_today
from portal.services.receivables import refresh_account

RETURN_TEMPLATE = 'plan_payment_returned'


def account_money_moved(session: Session, /, *, account_id: int, returned_payment_id: int | None = None) -> None:
    """Bring the account's open plan up to date with the ledger (installments paid, processing, due or past
    due; completed only on settled money; a lifted or a new past due).

    `returned_payment_id`: a payment the bank returned (it had been processing). When that reopens
    installments, those whose date has passed make the plan past due (the staff queue), and the account
    holder is emailed to update the payment method, once per returned payment.

    Then the account's charge balances and the dashboard's rollups are noted to follow the ledger when the
    transaction commits (receivables.refresh_account): the rows they lock stay locked only for the commit."""
    _plan_follows(session, account_id, returned_payment_id)
    refresh_account(session, account_id)


def _plan_follows(session: Session, account_id: int, returned_payment_id: int | None) -> None:
    plan = coverage.open_plan(session, account_id)
    if plan is None:
        return
    rows = coverage.installments(session, plan.id)
    standing = coverage.reconcile(session, plan, rows=rows)
    if returned_payment_id is None or not standing.reopened:
        return
    returned = session.get(Payment, returned_payment_id)
    amount = returned.amount if returned is not None else standing.remaining
    audit.record(session, action='plan_payment_returned', entity_type='payment_plan', entity_id=plan.id,
                 account_id=account_id, actor_role='gateway',
                 detail=f'payment={returned_payment_id} reopened={len(standing.reopened)}')
    if coverage.past_due(rows, standing.due_now, practice_today(session)):
        coverage.mark_delinquent(session, plan)
    notices.notify_guarantor(session, plan, RETURN_TEMPLATE, f'payment-returned:{returned_payment_id}',
                                  amount=amount, link=f'{get_settings().public_base_url}/payment-methods')
