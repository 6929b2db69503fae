"""Where a plan stands, derived from the ledger: which installments are covered, what is still owed.

A plan never keeps its own copy of what was paid. What it still needs is the account's ledger balance,
less what is still open on charges whose claim is pending (waiting for insurance: a plan covers only what
is payable now, `payable.py`) and less charges posted after signing when the policy bills new charges
separately. A charge still with insurance when the plan was signed was left out of it (`PlanHeldCharge`)
and stays out once the insurer answers, as a charge posted after signing does. Installments are covered
from the front: installment i is paid once that need fits into the installments after it, so an autopay
charge, a payment by hand, an insurance payment or an adjustment all count the same way.

Only settled money pays an installment. Payments still processing (bank money in flight) cover the next
installments as 'settling', shown as processing: a plan completes only when the money settles, and a
payment the bank returns reopens what it covered (due again, or past due by their dates). Every
installment but the ones autopay is charging is derived again each time, so the statuses always follow
the ledger, whichever way it moved. A need above what the installments hold (new charges under
'respread') is spread over the scheduled ones.

Only `reconcile` writes, and only the step after money moves (`services/money_moved.py`, run by every
writer of an account's ledger: charge import, payments, refunds, insurance) calls it, with autopay and
paying now; reading a plan (`standing`, the plan page) never writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.models import (
    Charge,
    InstallmentStatus,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanHeldCharge,
    PlanInstallment,
    PlanPolicy,
    PlanStatus,
)
from portal.services.payable import open_on_charges, pending_charge_ids
from portal.services.plans.schedules import respread
from portal.services.practice import practice_today

Status = InstallmentStatus
OPEN = (Status.scheduled, Status.failed)  # nothing covers them yet
IN_FLIGHT = (Status.charging, Status.settling)  # money on its way: shown as processing
OWING = (*OPEN, Status.charging)  # the next installment a statement or the home page asks for
ACTIVE = (PlanStatus.active, PlanStatus.delinquent)


@dataclass(frozen=True)
class Funds:
    """What the plan still needs from settled money, and the account's payments still processing."""
    need: int
    in_flight: int

    @property
    def need_after_settling(self) -> int:
        return max(0, self.need - self.in_flight)


@dataclass(frozen=True)
class Standing:
    plan_balance: int  # what the plan still needs from settled money
    in_flight: int  # payments still processing
    remaining: int  # what the open installments still need once the money in flight settles
    due_now: dict[int, int]  # installment id -> what it still needs (partial payments count)
    reopened: tuple[int, ...] = ()  # installments paid or settling before this call and open again now
    statuses: dict[int, Status] = field(default_factory=dict)  # installment id -> the status the ledger gives it

    @property
    def processing(self) -> int:
        """The part of the plan's need that payments in flight cover."""
        return min(self.in_flight, self.plan_balance)


def installments(session: Session, /, plan_id: int) -> list[PlanInstallment]:
    return list(session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                             .order_by(col(PlanInstallment.seq))).all())


def funds(session: Session, /, plan: PaymentPlan) -> Funds:
    """One query: the balance, payments still processing, the policy's rule, what is still open on
    charges posted since signing (not the gross charges: insurance, adjustments and payments on them
    lower what the plan leaves out) and what is waiting for insurance (never in the plan, under any rule:
    a charge posted since signing and still with insurance is left out once)."""
    account = plan.account_id
    balance = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
               .where(LedgerEntry.account_id == account).scalar_subquery())
    processing = (select(func.coalesce(func.sum(Payment.amount), 0))
                  .where(Payment.account_id == account, Payment.status == PaymentStatus.processing).scalar_subquery())
    new_charges = select(LedgerEntry.charge_id).where(
        LedgerEntry.account_id == account, LedgerEntry.kind == LedgerKind.charge,
        col(LedgerEntry.charge_id).is_not(None), col(LedgerEntry.posted_at) > plan.signed_at).union(
        select(PlanHeldCharge.charge_id).where(PlanHeldCharge.plan_id == plan.id))  # held out when signed
    since = _open_sum(new_charges, account)
    pending = pending_charge_ids(account)
    waiting_before = _open_sum(pending.where(col(Charge.id).not_in(new_charges)), account)
    waiting_since = _open_sum(pending.where(col(Charge.id).in_(new_charges)), account)
    rule = select(PlanPolicy.new_charges_rule).where(PlanPolicy.id == plan.policy_id).scalar_subquery()
    row = session.connection().execute(select(balance, processing, since, rule, waiting_before,
                                              waiting_since)).one()
    need = int(row[0]) - int(row[4])
    need -= int(row[2]) if row[3] != 'respread' else int(row[5])
    return Funds(need=max(0, need), in_flight=int(row[1]))


def waiting_charges(session: Session, /, account_id: int) -> list[int]:
    """The account's charges still with insurance and open (what is waiting for insurance), as a plan signed
    now leaves them out (`PlanHeldCharge`)."""
    still_open = open_on_charges(pending_charge_ids(account_id), account_id)
    return list(session.connection().execute(
        select(still_open.c.charge_id).where(still_open.c.open > 0).order_by(still_open.c.charge_id)).scalars())


def _open_sum(charge_ids, account_id: int):  # noqa: ANN001, ANN202  (a scalar subquery)
    still_open = open_on_charges(charge_ids, account_id)
    return select(func.coalesce(func.sum(still_open.c.open), 0)).scalar_subquery()


def _coverage(rows: list[PlanInstallment], money: Funds) -> tuple[dict[int, Status], dict[int, int]]:
    """(installment id -> the status the ledger gives it, installment id -> what it still needs): pure.

    Installments autopay is charging keep their status (its attempt decides them) but hold their place."""
    counted = [row for row in rows if row.status != Status.skipped]
    after = sum(row.amount for row in counted)
    statuses: dict[int, Status] = {}
    due_now: dict[int, int] = {}
    for row in counted:
        after -= row.amount
        if row.status == Status.charging:
            continue
        if money.need <= after:  # the need fits in the installments after this one: covered
            statuses[row.id] = Status.paid
        elif money.need_after_settling <= after:
            statuses[row.id] = Status.settling
        else:
            statuses[row.id] = Status(row.status) if row.status in OPEN else Status.scheduled
            due_now[row.id] = min(row.amount, money.need_after_settling - after)
    return statuses, due_now


def standing(session: Session, /, plan: PaymentPlan, *, rows: list[PlanInstallment] | None = None) -> Standing:
    """Where the plan stands now, without changing anything (the plan page, checks at send time and such):
    `statuses` holds what `reconcile` would store, for installments autopay is not charging."""
    rows = rows if rows is not None else installments(session, plan.id)
    money = funds(session, plan)
    statuses, due_now = _coverage(rows, money)
    return Standing(plan_balance=money.need, in_flight=money.in_flight, remaining=sum(due_now.values()),
                    due_now=due_now, statuses=statuses)


def still_due(session: Session, /, installment_id: int) -> int:
    """What an installment still needs now (minor units): 0 once paid, covered by money in flight, or the
    plan is no longer open."""
    row = session.get(PlanInstallment, installment_id)
    plan = session.get(PaymentPlan, row.plan_id) if row is not None else None
    if row is None or plan is None or plan.status not in ACTIVE:
        return 0
    return standing(session, plan).due_now.get(row.id, 0)


def _respread(session: Session, plan: PaymentPlan, rows: list[PlanInstallment], need: int) -> None:
    """New charges under 'respread': what the installments do not hold goes onto the scheduled ones (dates stay)."""
    held = sum(row.amount for row in rows if row.status != Status.skipped)
    movable = [row for row in rows if row.status == Status.scheduled]
    if need <= held or not movable:
        return
    min_installment = session.exec(select(PlanPolicy.min_installment)
                                   .where(PlanPolicy.id == plan.policy_id)).first() or 1
    moved = sum(row.amount for row in movable)
    amounts = respread([row.amount for row in movable], moved + need - held, min_installment)
    plan.total_amount += need - held
    for row, amount in zip(movable, amounts + [0] * (len(movable) - len(amounts)), strict=True):
        row.amount = amount
        if amount == 0:
            row.status = Status.skipped


def reconcile(session: Session, /, plan: PaymentPlan, *, rows: list[PlanInstallment] | None = None,
              today: date | None = None) -> Standing:
    """Bring an open plan's installments up to date with the ledger; complete it once settled money paid it
    all; lift a past-due plan whose past-due installments are covered. Idempotent: a second call with the
    same ledger changes nothing. A plan that is not open is only read."""
    rows = rows if rows is not None else installments(session, plan.id)
    if plan.status not in ACTIVE:
        return standing(session, plan, rows=rows)
    money = funds(session, plan)
    _respread(session, plan, rows, money.need)
    statuses, due_now = _coverage(rows, money)
    reopened = []
    for row in rows:
        status = statuses.get(row.id)
        if status is None or status == row.status:
            continue
        if row.status in (Status.paid, Status.settling) and status in OPEN:
            reopened.append(row.id)
        if status in (Status.paid, Status.settling):
            row.next_retry_on = None
        row.status = status
    today = today or practice_today(session)
    if money.need == 0 and not any(row.status == Status.charging for row in rows):
        plan.status = PlanStatus.completed
    elif plan.status == PlanStatus.delinquent and not past_due(rows, due_now, today):
        plan.status = PlanStatus.active
    session.flush()
    return Standing(plan_balance=money.need, in_flight=money.in_flight, remaining=sum(due_now.values()),
                    due_now=due_now, reopened=tuple(reopened))


def past_due(rows: list[PlanInstallment], due_now: dict[int, int], today: date) -> list[PlanInstallment]:
    """The installments that still need money and whose date has passed."""
    return [row for row in rows if due_now.get(row.id) and row.due_date < today]


def open_plan(session: Session, /, account_id: int) -> PaymentPlan | None:
    return session.exec(select(PaymentPlan).where(PaymentPlan.account_id == account_id,
                                                  col(PaymentPlan.status).in_(ACTIVE))
                        .order_by(col(PaymentPlan.id).desc())).first()


def mark_delinquent(session: Session, /, plan: PaymentPlan) -> None:
    if plan.status == PlanStatus.active:
        plan.status = PlanStatus.delinquent
        plan.cancelled_at = None
        from portal import audit
        audit.record(session, action='plan_delinquent', entity_type='payment_plan', entity_id=plan.id,
                     account_id=plan.account_id, detail=f'at={practice_today(session):%Y-%m-%d}')
