"""An open payment plan for its patient: where it stands (brought up to date with the ledger), and the changes
the policy allows (payment day, autopay method, cancelling). Every function checks access to the exact account."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_account
from portal.clock import utcnow
from portal.errors import DomainError, NotFound, ValidationFailed
from portal.models import (
    InstallmentStatus,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
    SavedPaymentMethod,
)
from portal.services.plans import coverage, schedules
from portal.services.practice import practice_today
from portal.services.saved_methods import method_label, usable_methods


@dataclass(frozen=True)
class InstallmentLine:
    seq: int
    due_date: date
    amount: int
    status: str  # paid, processing, scheduled, due (today), past_due, failed, skipped
    still_due: int


@dataclass(frozen=True)
class PlanView:
    id: int
    account_id: int
    status: PlanStatus
    total: int
    paid: int  # settled money
    processing: int  # covered by payments still processing (bank money in flight)
    remaining: int  # still to pay beyond what is processing
    next_date: date | None
    next_amount: int
    day_of_month: int
    months: int
    autopay_label: str  # '' when paid by hand
    autopay_method_id: int | None
    signed_name: str
    signed_at: datetime
    terms_version: str
    lines: list[InstallmentLine]
    returned: int = 0  # the latest payment since signing, when the bank returned it (and something is due)



def _own_plan(session: Session, actor: Actor, plan_id: int, *, purpose: str) -> PaymentPlan:
    plan = session.get(PaymentPlan, plan_id)
    if plan is None:
        raise NotFound()
    require_account(session, actor, plan.account_id, purpose=purpose)
    return plan


def overview(session: Session, /, *, actor: Actor, account_id: int) -> PlanView | None:
    """The account's open plan as the ledger has it now (read only), or None."""
    require_account(session, actor, account_id, purpose='view_plans')
    plan = coverage.open_plan(session, account_id)
    if plan is None:
        return None
    return view_of(session, plan)


def view_of(session: Session, /, plan: PaymentPlan) -> PlanView:
    """Read only: the statuses shown are the ones the ledger gives (what `coverage.reconcile` stores when
    money moves), so a view never writes."""
    rows = coverage.installments(session, plan.id)
    standing = coverage.standing(session, plan, rows=rows)
    today = practice_today(session)
    lines = [InstallmentLine(seq=row.seq, due_date=row.due_date, amount=row.amount,
                             status=_line_status(standing.statuses.get(row.id, InstallmentStatus(row.status)), row,
                                                 today, standing.due_now.get(row.id, 0)),
                             still_due=standing.due_now.get(row.id, 0)) for row in rows]
    upcoming = next((line for line in lines if line.still_due), None)
    method = session.get(SavedPaymentMethod, plan.autopay_method_id) if plan.autopay_method_id else None
    return PlanView(id=plan.id, account_id=plan.account_id, status=plan.status, total=plan.total_amount,
                    paid=max(0, plan.total_amount - standing.plan_balance), processing=standing.processing,
                    remaining=standing.remaining, next_date=upcoming.due_date if upcoming else None,
                    next_amount=upcoming.still_due if upcoming else 0, day_of_month=plan.day_of_month,
                    months=plan.months, autopay_label=method_label(method) if method else '',
                    autopay_method_id=plan.autopay_method_id, signed_name=plan.signed_name,
                    signed_at=plan.signed_at, terms_version=plan.terms_version, lines=lines,
                    returned=_returned(session, plan) if standing.remaining else 0)


def _line_status(status: InstallmentStatus, row: PlanInstallment, today: date, still_due: int) -> str:
    if status in coverage.IN_FLIGHT:
        return 'processing'
    if status not in coverage.OPEN or not still_due:
        return status
    if status == InstallmentStatus.failed:
        return 'failed'
    return 'past_due' if row.due_date < today else 'due' if row.due_date == today else 'scheduled'


def _returned(session: Session, plan: PaymentPlan) -> int:
    """A payment the bank returned stays news until another payment is made."""
    latest = session.exec(select(Payment.status, Payment.amount).where(
        Payment.account_id == plan.account_id, col(Payment.received_at) >= plan.signed_at)
        .order_by(col(Payment.received_at).desc(), col(Payment.id).desc())).first()
    return latest[1] if latest is not None and latest[0] == PaymentStatus.failed else 0


def change_day(session: Session, /, *, actor: Actor, plan_id: int, day_of_month: int) -> None:
    """Move every scheduled installment to the new day; the next one falls on the first such day after today."""
    plan = _own_plan(session, actor, plan_id, purpose='change_plan')
    if plan.status != PlanStatus.active:
        raise DomainError('The payment day can be changed on an active plan only.')
    if not 1 <= day_of_month <= schedules.MAX_DAY_OF_MONTH:
        message = f'Choose a day from 1 to {schedules.MAX_DAY_OF_MONTH}.'
        raise ValidationFailed(message, field_errors={'day_of_month': message})
    scheduled = [row for row in coverage.installments(session, plan.id)
                 if row.status == InstallmentStatus.scheduled and row.seq]
    first = schedules.first_due_date(practice_today(session), day_of_month)
    for index, row in enumerate(scheduled):
        row.due_date = schedules.add_months(first, index, day_of_month)
    plan.day_of_month = day_of_month
    audit.record(session, action='plan_change_day', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=plan.account_id, source_ip=actor.ip,
                 detail=f'day={day_of_month}')
    session.flush()


def change_autopay(session: Session, /, *, actor: Actor, plan_id: int, method_id: int | None) -> None:
    """Switch the autopay method (or turn autopay off). A past-due plan becomes active again and its failed
    installment is retried at the next run."""
    plan = _own_plan(session, actor, plan_id, purpose='change_plan')
    if plan.status not in coverage.ACTIVE:
        raise DomainError('This plan has ended.')
    if method_id is not None and method_id not in {m.id for m in usable_methods(session, plan.account_id)}:
        raise ValidationFailed('Choose one of your saved payment methods.',
                               field_errors={'autopay': 'Choose one of your saved payment methods.'})
    plan.autopay_method_id = method_id
    if plan.status == PlanStatus.delinquent:
        plan.status = PlanStatus.active
        for row in coverage.installments(session, plan.id):
            if row.status == InstallmentStatus.failed:
                row.next_retry_on = practice_today(session)
    audit.record(session, action='plan_change_autopay', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=plan.account_id, source_ip=actor.ip,
                 detail=f'autopay={"on" if method_id else "off"}')
    session.flush()


def cancel(session: Session, /, *, actor: Actor, plan_id: int) -> None:
    """The policy lets a patient cancel at any time; the remaining balance is then due as billed."""
    plan = _own_plan(session, actor, plan_id, purpose='cancel_plan')
    if plan.status not in coverage.ACTIVE:
        raise DomainError('This plan has already ended.')
    if any(row.status in coverage.IN_FLIGHT for row in coverage.installments(session, plan.id)):
        raise DomainError('A payment for this plan is still processing. Try again once it has gone through.')
    plan.status, plan.cancelled_at = PlanStatus.cancelled, utcnow()
    audit.record(session, action='plan_cancel', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=plan.account_id, source_ip=actor.ip)
    session.flush()
