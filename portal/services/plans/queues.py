"""The staff view of payment plans: past-due plans (accounts needing attention) and active plans."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.models import GuarantorAccount, PaymentPlan, PlanInstallment, PlanStatus
from portal.services.person_names import guarantor_name
from portal.services.plans import coverage
from portal.services.practice import practice

QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueRow:
    plan_id: int
    account_id: int
    account_number: str
    guarantor_name: str
    status: str
    autopay: bool
    remaining: int  # what the installments not yet paid with settled money hold
    next_due: date | None
    failed_attempts: int
    last_attempt: date | None  # the practice's calendar day of the latest attempt


@dataclass(frozen=True)
class Queues:
    delinquent: list[QueueRow]
    active: list[QueueRow]
    active_count: int


def _rows(session: Session, status: str) -> list[QueueRow]:
    day_of = practice(session).day_of
    open_rows = (select(PlanInstallment.plan_id, func.sum(PlanInstallment.amount).label('remaining'),
                        func.min(PlanInstallment.due_date).label('next_due'),
                        func.sum(PlanInstallment.attempts).label('attempts'),
                        func.max(PlanInstallment.last_attempt_at).label('last_attempt'))
                 .where(col(PlanInstallment.status).in_([*coverage.OPEN, *coverage.IN_FLIGHT]))
                 .group_by(col(PlanInstallment.plan_id)).subquery())
    rows = session.connection().execute(
        select(PaymentPlan.id, PaymentPlan.account_id, PaymentPlan.autopay_method_id, PaymentPlan.status,
               GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
               GuarantorAccount.guarantor_last_name, open_rows.c.remaining, open_rows.c.next_due,
               open_rows.c.attempts, open_rows.c.last_attempt)
        .join(GuarantorAccount, col(GuarantorAccount.id) == PaymentPlan.account_id)
        .outerjoin(open_rows, open_rows.c.plan_id == PaymentPlan.id)
        .where(PaymentPlan.status == status)
        .order_by(open_rows.c.next_due, col(PaymentPlan.id)).limit(QUEUE_LIMIT)).all()
    return [QueueRow(plan_id=row.id, account_id=row.account_id, account_number=row.account_number,
                     guarantor_name=guarantor_name(row), status=row.status,
                     autopay=row.autopay_method_id is not None, remaining=int(row.remaining or 0),
                     next_due=row.next_due, failed_attempts=int(row.attempts or 0),
                     last_attempt=day_of(row.last_attempt) if row.last_attempt else None) for row in rows]


def staff_queues(session: Session, /, *, actor: Actor) -> Queues:
    require_staff(session, actor, purpose='view_plan_queues')
    audit.record(session, action='view_plan_queues', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', source_ip=actor.ip)
    active_count = session.exec(select(func.count()).select_from(PaymentPlan)
                                .where(PaymentPlan.status == PlanStatus.active)).one()
    return Queues(delinquent=_rows(session, PlanStatus.delinquent), active=_rows(session, PlanStatus.active),
                  active_count=int(active_count))
