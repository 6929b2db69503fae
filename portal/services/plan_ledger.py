"""Where a plan stands, derived from the ledger: which installments are covered, what is still owed.

A plan never keeps its own copy of what was paid. Its balance is the account's payable balance
(balance minus payments still processing), less charges posted after signing when the policy bills
new charges separately. Installments are covered from the front: installment i is paid once the
plan balance fits into the installments after it, so an autopay charge, a payment by hand, an
insurance payment or an adjustment all count the same way. A balance above what the open
installments hold (new charges under 'respread', a reversed payment) is spread over them again.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.models import LedgerEntry, LedgerKind, Payment, PaymentPlan, PlanInstallment, PlanPolicy
from portal.services.plan_schedule import respread

OPEN = ('scheduled', 'failed')  # not yet paid; 'processing' ones have money in flight
ACTIVE = ('active', 'delinquent')


@dataclass(frozen=True)
class Standing:
    plan_balance: int  # what the plan still needs
    remaining: int  # what the open installments still hold (after partial payments)
    due_now: dict[int, int]  # installment id -> what it still needs (partial payments count)


def installments(session: Session, plan_id: int) -> list[PlanInstallment]:
    return list(session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                             .order_by(col(PlanInstallment.seq))).all())


def plan_balance(session: Session, plan: PaymentPlan) -> int:
    """One query: the balance, payments still processing, the policy's rule and charges since signing."""
    account = plan.account_id
    balance = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
               .where(LedgerEntry.account_id == account).scalar_subquery())
    processing = (select(func.coalesce(func.sum(Payment.amount), 0))
                  .where(Payment.account_id == account, Payment.status == 'processing').scalar_subquery())
    since = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
             .where(LedgerEntry.account_id == account, LedgerEntry.kind == LedgerKind.charge,
                    col(LedgerEntry.posted_at) > plan.signed_at).scalar_subquery())
    rule = select(PlanPolicy.new_charges_rule).where(PlanPolicy.id == plan.policy_id).scalar_subquery()
    row = session.connection().execute(select(balance, processing, since, rule)).one()
    payable = int(row[0]) - int(row[1])
    if row[3] != 'respread':
        payable -= int(row[2])
    return max(0, payable)


def reconcile(session: Session, plan: PaymentPlan, *, rows: list[PlanInstallment] | None = None) -> Standing:
    """Mark covered installments paid, re-spread or trim the open ones to the plan balance, complete a plan
    with nothing left. Idempotent: a second call with the same ledger changes nothing."""
    rows = rows if rows is not None else installments(session, plan.id)
    balance = plan_balance(session, plan)
    open_rows = [row for row in rows if row.status in OPEN]
    held = sum(row.amount for row in open_rows)
    if balance > held and plan.status in ACTIVE and open_rows:
        min_installment = session.exec(select(PlanPolicy.min_installment)
                                       .where(PlanPolicy.id == plan.policy_id)).first() or 1
        # dates stay; the new total is spread over the scheduled ones (a failed one keeps its amount)
        movable = [row for row in open_rows if row.status == 'scheduled'] or open_rows
        fixed = held - sum(row.amount for row in movable)
        amounts = respread([row.amount for row in movable], balance - fixed, min_installment)
        plan.total_amount += balance - held
        for row, amount in zip(movable, amounts + [0] * (len(movable) - len(amounts)), strict=True):
            row.amount = amount
            if amount == 0:
                row.status = 'skipped'
        open_rows = [row for row in open_rows if row.status in OPEN]
    due_now: dict[int, int] = {}
    after = sum(row.amount for row in open_rows)
    for row in open_rows:
        after -= row.amount
        if balance <= after:  # the plan balance fits in the installments after this one: covered
            row.status, row.next_retry_on = 'paid', None
        else:
            due_now[row.id] = min(row.amount, balance - after)
    remaining = sum(due_now.values())
    if plan.status in ACTIVE and remaining == 0 and not any(row.status == 'processing' for row in rows):
        plan.status = 'completed'
    session.flush()
    return Standing(plan_balance=balance, remaining=remaining, due_now=due_now)


def open_plan(session: Session, account_id: int) -> PaymentPlan | None:
    return session.exec(select(PaymentPlan).where(PaymentPlan.account_id == account_id,
                                                  col(PaymentPlan.status).in_(ACTIVE))
                        .order_by(col(PaymentPlan.id).desc())).first()


def mark_delinquent(session: Session, plan: PaymentPlan) -> None:
    if plan.status == 'active':
        plan.status = 'delinquent'
        plan.cancelled_at = None
        from portal.services import audit
        audit.record(session, action='plan_delinquent', entity_type='payment_plan', entity_id=plan.id,
                     account_id=plan.account_id, detail=f'at={utcnow():%Y-%m-%d}')
