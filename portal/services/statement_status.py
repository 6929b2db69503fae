"""A statement's standing now, the one rule for every page, document and the pay page: paid, due or
overdue, and what is left to pay on it.

    left to pay = the statement's amount due - what the patient paid since it (less refunds),
                  never more than what the account can pay now (payable.py: charges still with
                  insurance and payments still processing are not asked for)
    on a plan   = while the plan is open (active or delinquent), its next open installment is what is
                  due, by its date, on the account's newest statement whether or not its own amount was
                  paid, and on an older one its payments have not covered (an older statement that was
                  paid stays paid); overdue only when the plan is delinquent and that installment's date
                  has passed
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from portal.models import LedgerEntry, LedgerKind, PaymentPlan, PlanStatus, Statement
from portal.services import ledger
from portal.services.plans import coverage

# the patient's own money: payments, refunds of them, and corrections of either
PATIENT_MONEY = (LedgerKind.patient_payment, LedgerKind.refund)
_PATIENT_MONEY = or_(col(LedgerEntry.kind).in_(PATIENT_MONEY),
                     and_(LedgerEntry.kind == LedgerKind.correction, col(LedgerEntry.corrects_kind).in_(PATIENT_MONEY)))


@dataclass(frozen=True)
class PlanDue:
    """The next open installment of an account's plan (active or delinquent)."""
    plan_id: int
    installment_id: int
    amount: int  # minor units: what the installment still needs (a payment ahead of it counts)
    due_date: date
    current: bool  # the plan is active (not delinquent): its statements are not overdue
    left: int = 0  # minor units: what the plan's open installments still need, this one included

    def apart_from(self, payable: int) -> int:
        """Of what is payable now (minor units), the part the plan does not hold: a visit it left out while
        insurance had it, or a charge since it was signed (0 when the plan holds it all)."""
        return max(0, payable - self.left)


@dataclass(frozen=True)
class Standing:
    status: str  # paid, due, overdue
    left_to_pay: int  # minor units, >= 0: what is asked for on this statement now
    due_date: date  # the statement's, or the next installment's while on a plan


@dataclass(frozen=True)
class StatementSummary:
    """One statement in a list or on the home page, as it stands now (`summary_of`)."""
    id: int
    account_number: str
    statement_date: date
    due_date: date
    amount_due: int  # what is left to pay on it now (standing_of); as issued once paid
    new_balance: int
    currency: str
    status: str  # paid, due, overdue
    waiting_for_insurance: int = 0  # as issued: in the new balance, not asked for until insurance answers
    on_plan: bool = False  # amount_due and due_date are the plan's next installment


def plan_due(session: Session, /, account_id: int) -> PlanDue | None:
    """The account's plan's next open installment (not paid, nor skipped, nor covered by money already
    paid or in flight) with what it still needs, as the plan page reads it (`coverage.standing`); or None
    without an open plan."""
    plan = session.exec(select(PaymentPlan).where(PaymentPlan.account_id == account_id,
                                                  col(PaymentPlan.status).in_(coverage.ACTIVE))
                        .order_by(col(PaymentPlan.id).desc())).first()
    if plan is None:
        return None
    rows = coverage.installments(session, plan.id)
    standing = coverage.standing(session, plan, rows=rows)
    charging = sum(row.claimed_amount or row.amount for row in rows if row.status == coverage.Status.charging)
    for row in rows:
        if row.status == coverage.Status.charging:  # autopay is charging it: what it claimed
            amount = row.claimed_amount or row.amount
        elif row.id in standing.due_now:
            amount = standing.due_now[row.id]
        else:
            continue
        return PlanDue(plan_id=plan.id, installment_id=row.id, amount=amount, due_date=row.due_date,
                       current=plan.status == PlanStatus.active, left=standing.remaining + charging)
    return None


def paid_since_query(account_id, after_entry_id):  # noqa: ANN001, ANN201  (column expressions or values)
    """What the patient paid after a statement's last entry, less what was refunded to them (minor
    units, positive: paid): a scalar subquery, so the home page reads it in its one statement query."""
    return (select(func.coalesce(-func.sum(LedgerEntry.amount), 0))
            .where(LedgerEntry.account_id == account_id, LedgerEntry.id > after_entry_id, _PATIENT_MONEY)
            .scalar_subquery())


def covered(statement, *, paid_since: int, balance: int) -> bool:  # noqa: ANN001  (a Statement or a row of it)
    """The ledger says this statement needs nothing more: it asked for nothing, the account owes
    nothing now, or the patient's payments since it, less refunds, cover its amount due."""
    return statement.amount_due <= 0 or balance <= 0 or paid_since >= statement.amount_due


def statement_status(statement, *, paid_since: int, balance: int, on: date) -> str:  # noqa: ANN001
    """paid, due or overdue. `statement` is a Statement or a row with its paid_at, amount_due and
    due_date; `paid_since` as paid_since_query; `balance` the account's balance now (minor units); `on`
    the practice's day (an account on a plan is read by standing_of instead).
    paid_at marks a statement paid when it was; a refund that re-bills it clears paid_at
    (reopen_refunded_statements)."""
    if statement.paid_at is not None or covered(statement, paid_since=paid_since, balance=balance):
        return 'paid'
    return 'overdue' if on > statement.due_date else 'due'


def plan_applies(statement, *, paid_since: int, balance: int, plan: PlanDue | None, newest: bool,  # noqa: ANN001
                 on: date) -> PlanDue | None:
    """The plan whose next installment this statement asks for: on the newest statement always (even once
    its own amount, an installment already paid, is covered), on an older one only while it is unpaid."""
    if plan is None or newest:
        return plan
    return None if statement_status(statement, paid_since=paid_since, balance=balance, on=on) == 'paid' else plan


def standing_of(statement, *, paid_since: int, balance: int, payable: int, plan: PlanDue | None,  # noqa: ANN001
                on: date, newest: bool = True) -> Standing:
    """The statement's status, what is left to pay on it and by when (see the module docstring);
    `payable` is what the account can pay now (payable.Payable.now); `newest`: the account's newest statement."""
    plan = plan_applies(statement, paid_since=paid_since, balance=balance, plan=plan, newest=newest, on=on)
    if plan is not None:  # while a plan is open its next installment is what is due
        status = 'overdue' if not plan.current and on > plan.due_date else 'due'
        return Standing(status, max(0, min(plan.amount, payable)), plan.due_date)
    status = statement_status(statement, paid_since=paid_since, balance=balance, on=on)
    if status == 'paid':
        return Standing('paid', 0, statement.due_date)
    return Standing(status, max(0, min(statement.amount_due - paid_since, payable)), statement.due_date)


def summary_of(row, *, account_number: str, balance: int, payable: int, plan: PlanDue | None,  # noqa: ANN001
               on: date, newest: bool = True) -> StatementSummary:
    """The summary of a statement `row` (a Statement, or a row with its id, statement_date, due_date,
    amount_due, new_balance, currency, paid_at, waiting_for_insurance and paid_since as paid_since_query);
    the other arguments as for standing_of."""
    plan = plan_applies(row, paid_since=int(row.paid_since), balance=balance, plan=plan, newest=newest, on=on)
    standing = standing_of(row, paid_since=int(row.paid_since), balance=balance, payable=payable, plan=plan, on=on)
    paid = standing.status == 'paid'
    return StatementSummary(
        id=row.id, account_number=account_number, statement_date=row.statement_date, due_date=standing.due_date,
        amount_due=row.amount_due if paid else standing.left_to_pay, new_balance=row.new_balance,
        currency=row.currency, status=standing.status, waiting_for_insurance=row.waiting_for_insurance,
        on_plan=plan is not None)


def summary_columns(account_id: int) -> tuple:
    """The Statement columns summary_of reads, with paid_since, for one account's select."""
    return (Statement.id, Statement.statement_date, Statement.due_date, Statement.amount_due, Statement.new_balance,
            Statement.currency, Statement.paid_at, Statement.waiting_for_insurance, Statement.last_entry_id,
            paid_since_query(account_id, Statement.last_entry_id).label('paid_since'))


def reopen_refunded_statements(session: Session, /, *, account_id: int, paid_after: datetime) -> list[int]:
    """After a refund: statements marked paid since the refunded payment arrived (`paid_after`) that
    the ledger no longer covers are unpaid again (their quick-pay code works, reminders resume).
    Returns their ids."""
    balance = ledger.balance(session, account_id)
    if balance <= 0:
        return []
    rows = session.connection().execute(
        select(Statement.id, Statement.amount_due, paid_since_query(account_id, Statement.last_entry_id)
               .label('paid_since'))
        .where(Statement.account_id == account_id, col(Statement.paid_at).is_not(None),
               col(Statement.paid_at) >= paid_after)).all()
    reopened = [row.id for row in rows if not covered(row, paid_since=int(row.paid_since), balance=balance)]
    if reopened:
        session.execute(update(Statement).where(col(Statement.id).in_(reopened)).values(paid_at=None))
    return reopened
