"""What the two home pages show: the patient's amount due and next steps; staff's headline figures."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import (
    Appointment,
    GuarantorAccount,
    LedgerEntry,
    LedgerKind,
    Location,
    Patient,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanStatus,
    Provider,
    Refund,
    Statement,
)
from portal.services.appointments.visits import ACTIVE, time_label
from portal.services.messaging.read_state import patient_unread_query
from portal.services.payable import waiting_query
from portal.services.person_names import guarantor_name
from portal.services.practice import practice_today
from portal.services.refund_reasons import RefundLine, plain_reason
from portal.services.statement_status import PlanDue, StatementSummary, plan_due, summary_columns, summary_of


@dataclass(frozen=True)
class AppointmentSummary:
    starts_at: datetime
    patient_first_name: str
    provider_name: str
    location_name: str
    visit_type: str
    when: str = ''  # in the location's zone, labelled with it (appointments.visits.time_label)


@dataclass(frozen=True)
class PlanSummary:
    installment_amount: int
    next_due_date: date | None
    next_amount: int
    remaining: int
    apart: int = 0  # payable now but not held by the plan (PlanDue.apart_from)


@dataclass(frozen=True)
class AccountHome:
    account_id: int
    account_number: str
    guarantor_name: str
    currency: str
    balance: int
    processing: int
    amount_due: int  # what is due now: the balance less processing and waiting for insurance, or the installment
    due_date: date | None
    latest_statement: StatementSummary | None
    next_appointment: AppointmentSummary | None
    unread_messages: int
    plan: PlanSummary | None
    patients: list[str] = field(default_factory=list)
    refund: RefundLine | None = None  # the latest refund since the latest statement: why the balance went up
    waiting: int = 0  # open on charges still with insurance: in the balance, not in the amount due


@dataclass(frozen=True)
class PatientHome:
    accounts: tuple[AccountHome, ...]

    @property
    def total_due(self) -> int:
        return sum(account.amount_due for account in self.accounts)


def _plan_summary(session: Session, account_id: int, due: PlanDue | None, payable: int) -> PlanSummary | None:
    """The account's open plan, its next installment as `statement_status.plan_due` reads it (what it still
    needs: a payment ahead counts), and what is left on the plan; None without an open plan."""
    plan = session.connection().execute(
        select(PaymentPlan.id, PaymentPlan.installment_amount)
        .where(PaymentPlan.account_id == account_id,
               col(PaymentPlan.status).in_([PlanStatus.active, PlanStatus.delinquent]))
        .order_by(col(PaymentPlan.id).desc()).limit(1)).first()
    if plan is None:
        return None
    return PlanSummary(installment_amount=plan.installment_amount,
                       next_due_date=due.due_date if due else None,
                       next_amount=due.amount if due else 0,
                       remaining=due.left if due else 0, apart=due.apart_from(payable) if due else 0)


def account_home(session: Session, /, *, actor: Actor, account_id: int,
                 relationship: str | None = None) -> AccountHome:
    """One account's home figures; `relationship` is passed when the caller already checked access.

    Column-only Core queries on the session's connection: this runs on every patient home load,
    and building ORM objects would cost more than the queries themselves.
    """
    if relationship is None:
        require_account(session, actor, account_id, purpose='view_home')
    connection = session.connection()
    balance_q = (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                 .where(LedgerEntry.account_id == account_id).scalar_subquery())
    processing_q = (select(func.coalesce(func.sum(Payment.amount), 0))
                    .where(Payment.account_id == account_id, Payment.status == PaymentStatus.processing)
                    .scalar_subquery())
    unread_q = patient_unread_query(actor.user_id, account_id)
    account = connection.execute(
        select(GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
               GuarantorAccount.guarantor_last_name, GuarantorAccount.currency,
               balance_q.label('balance'), processing_q.label('processing'), unread_q.label('unread'),
               waiting_query(account_id).label('waiting'))
        .where(GuarantorAccount.id == account_id)).first()
    if account is None:
        raise NotFound()
    balance, processing, waiting = int(account.balance), int(account.processing), max(0, int(account.waiting))
    payable = max(0, balance - processing - waiting)  # payable.Payable.now, read in this one query
    due_plan = plan_due(session, account_id)
    statement = connection.execute(
        select(*summary_columns(account_id))
        .where(Statement.account_id == account_id)
        .order_by(col(Statement.statement_date).desc()).limit(1)).first()
    statement_summary = None
    if statement is not None:
        statement_summary = summary_of(statement, account_number=account.account_number, balance=balance,
                                       payable=payable, plan=due_plan, on=practice_today(session))
    plan = _plan_summary(session, account_id, due_plan, payable)
    refund = connection.execute(
        select(LedgerEntry.effective_date, LedgerEntry.amount, Refund.reason)
        .join(Refund, Refund.id == LedgerEntry.refund_id)
        .where(LedgerEntry.account_id == account_id, LedgerEntry.kind == LedgerKind.refund,
               LedgerEntry.id > (statement.last_entry_id if statement is not None else 0))
        .order_by(col(LedgerEntry.id).desc()).limit(1)).first()
    amount_due = min(plan.next_amount, payable) if plan and plan.next_amount else payable
    due_date = plan.next_due_date if plan else (statement.due_date if statement and payable else None)
    patients = connection.execute(select(Patient.first_name).where(Patient.account_id == account_id)
                                  .order_by(col(Patient.id))).scalars().all()
    return AccountHome(
        account_id=account_id, account_number=account.account_number,
        guarantor_name=guarantor_name(account),
        currency=account.currency, balance=balance, processing=processing, amount_due=amount_due,
        due_date=due_date, latest_statement=statement_summary,
        next_appointment=_next_appointment(session, account_id), unread_messages=int(account.unread),
        plan=plan, patients=list(patients), waiting=waiting,
        refund=RefundLine(refund.effective_date, refund.amount, plain_reason(refund.reason)) if refund else None)


def _next_appointment(session: Session, account_id: int) -> AppointmentSummary | None:
    row = session.connection().execute(
        select(Appointment.starts_at, Appointment.visit_type, Patient.first_name.label('patient_first_name'),
               Provider.first_name, Provider.last_name, Provider.credentials, Location.name.label('location'),
               Location.timezone)
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(Provider, Provider.id == Appointment.provider_id)
        .join(Location, Location.id == Appointment.location_id)
        .where(Appointment.account_id == account_id, col(Appointment.status).in_(ACTIVE),
               Appointment.starts_at >= utcnow())
        .order_by(col(Appointment.starts_at)).limit(1)).first()
    if row is None:
        return None
    return AppointmentSummary(starts_at=row.starts_at, patient_first_name=row.patient_first_name,
                              provider_name=f'{row.first_name} {row.last_name}, {row.credentials}',
                              location_name=row.location, visit_type=row.visit_type,
                              when=time_label(row.starts_at.astimezone(ZoneInfo(row.timezone))))


def patient_home(session: Session, /, *, actor: Actor, relationships: dict[int, str] | None = None) -> PatientHome:
    """Every account this patient may act on (`relationships`, when the caller has read them). Views
    of an account that is not their own (a parent's view of a child's, a proxy's) are audited; those
    need a write session."""
    if relationships is None:
        relationships = account_relationships(session, actor.user_id)
    accounts = []
    for account_id, relationship in relationships.items():
        if relationship != 'self':
            audit.record(session, action='view_home', actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                         detail=f'relationship={relationship}')
        accounts.append(account_home(session, actor=actor, account_id=account_id, relationship=relationship))
    return PatientHome(accounts=tuple(accounts))


@dataclass(frozen=True)
class MonthCollections:
    month: str  # YYYY-MM
    patient: int
    insurance: int


@dataclass(frozen=True)
class StaffHome:
    total_ar: int
    collected_this_month: int
    insurance_this_month: int
    accounts_with_balance: int
    collections_by_month: list[MonthCollections]


def staff_home(session: Session, /, *, months: int = 12, on: date | None = None) -> StaffHome:
    on = on or practice_today(session)
    first_month = _months_back(on.replace(day=1), months - 1)
    balances = (select(func.sum(LedgerEntry.amount).label('balance'))
                .group_by(LedgerEntry.account_id).subquery())
    total, positive = session.exec(select(  # one pass over the covering (account_id, id, amount) index
        func.coalesce(func.sum(case((balances.c.balance > 0, balances.c.balance), else_=0)), 0),
        func.coalesce(func.sum(case((balances.c.balance > 0, 1), else_=0)), 0))).one()
    total_ar, with_balance = int(total), int(positive)
    rows = session.exec(
        select(LedgerEntry.kind, LedgerEntry.effective_date, func.sum(LedgerEntry.amount))
        .where(col(LedgerEntry.kind).in_([LedgerKind.patient_payment, LedgerKind.insurance_payment]),
               LedgerEntry.effective_date >= first_month, LedgerEntry.effective_date <= on)
        .group_by(LedgerEntry.kind, LedgerEntry.effective_date)).all()
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: {'patient': 0, 'insurance': 0})
    for kind, day, amount in rows:
        key = 'patient' if kind == LedgerKind.patient_payment else 'insurance'
        by_month[f'{day:%Y-%m}'][key] += -int(amount)
    series = []
    month = first_month
    for _ in range(months):
        label = f'{month:%Y-%m}'
        series.append(MonthCollections(month=label, **by_month.get(label, {'patient': 0, 'insurance': 0})))
        month = (month + timedelta(days=32)).replace(day=1)
    current = series[-1]
    return StaffHome(total_ar=total_ar, collected_this_month=current.patient,
                     insurance_this_month=current.insurance, accounts_with_balance=with_balance,
                     collections_by_month=series)


def _months_back(first_of_month: date, count: int) -> date:
    year, month = first_of_month.year, first_of_month.month - count
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def load_patient_home(*, actor: Actor) -> PatientHome:
    """The patient home in its own session: read-only unless a view must be audited (not 'self')."""
    with read_session() as session:
        relationships = account_relationships(session, actor.user_id)
        if all(relationship == 'self' for relationship in relationships.values()):
            return patient_home(session, actor=actor, relationships=relationships)
    with write_session() as session:
        return patient_home(session, actor=actor, relationships=relationships)
