"""Reminders: sweeps that queue messages into the outbox, one dedupe key per reminder; run daily by
portal.jobs.reminders.

A new statement ('statement-ready:<statement>', shared with the statement run, which may have queued
it already), due in 3 days ('statement-due:<statement>'), overdue at each step of the practice's
reminder ladder ('statement-overdue:<oldest unpaid statement>:<step>'), installment in 3 days
('installment-due:<installment>', for what it still needs after the payments made so far), failed
payment ('payment-failed:<payment>'), appointment tomorrow ('appointment-tomorrow:<appointment>:<start, UTC>').
A rerun queues nothing twice; the senders check again at send time that each is still due and what
is owed now (portal.services.due). Each person gets each kind on the channels they chose; the first
message of a reminder (the first person's email) carries the bare key, the others
'<key>:<channel>:<user>'.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.clock import practice_day, utcnow
from portal.config import get_settings
from portal.db import write_session
from portal.models import (
    AccountAccess,
    Appointment,
    AppointmentStatus,
    InstallmentStatus,
    Notification,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
    PracticeSettings,
    Role,
    Statement,
    User,
)
from portal.money import format_money
from portal.notify import templates
from portal.notify.outbox import enqueue
from portal.notify.texts import DEFAULT_QUIET, Quiet, outside_quiet_hours, quiet_hours
from portal.services.due import CHECKS, on_plan
from portal.services.money_moved import RETURN_TEMPLATE
from portal.services.payable import payable_now
from portal.services.plans import coverage
from portal.services.practice import practice_zone
from portal.services.preferences import allowed_channels

log = logging.getLogger(__name__)

SOON_DAYS = 3
NEW_STATEMENT_DAYS = 14  # a statement older than this is not announced as new
LAST_STEP_WINDOW = 30  # days after the ladder's last step during which it is still sent
FAILED_PAYMENT_DAYS = 7


@dataclass(frozen=True)
class Recipient:
    user_id: int
    first_name: str
    email: str
    phone: str | None


@dataclass
class Sweep:
    session: Session
    today: date
    now: datetime
    base_url: str
    zone: ZoneInfo
    queued: int = 0
    quiet: Quiet = DEFAULT_QUIET  # the practice's quiet hours for texts

    def recipients(self, account_id: int) -> list[Recipient]:
        rows = self.session.exec(
            select(User.id, User.first_name, User.email, User.mobile_phone)
            .join(AccountAccess, col(AccountAccess.user_id) == User.id)
            .where(AccountAccess.account_id == account_id, col(AccountAccess.revoked_at).is_(None),
                   User.is_active == True, User.role == Role.patient)  # noqa: E712
            .order_by(User.id)).all()
        return [Recipient(*row) for row in rows]

    def notify(self, *, account_id: int, template: str, key: str, path: str, **context: object) -> None:
        kind = templates.get(template).kind
        people = self.recipients(account_id)
        channels = allowed_channels(self.session, user_ids=[person.user_id for person in people], kind=kind)
        bare_used = False
        for person in people:
            for channel in ('email', 'sms'):
                if channel not in channels.get(person.user_id, set()):
                    continue
                dedupe = key if not bare_used else f'{key}:{channel}:{person.user_id}'
                bare_used = True
                recipient = person.email if channel == 'email' else person.phone
                send_after = outside_quiet_hours(self.now, self.zone, self.quiet) if channel == 'sms' else None
                queued = enqueue(self.session, channel=channel, template=template, recipient=recipient or '',
                                 dedupe_key=dedupe, user_id=person.user_id, account_id=account_id,
                                 send_after=send_after,
                                 context={'first_name': person.first_name, 'link': self.base_url + path,
                                          **context})
                self.queued += queued is not None

    def owed(self, account_id: int) -> int:
        return payable_now(self.session, account_id)


def _ladder(session: Session) -> list[int]:
    stored = session.exec(select(PracticeSettings.reminder_ladder).order_by(PracticeSettings.id)).first()
    steps = sorted({int(part) for part in (stored or '30,60,90').split(',') if part.strip().isdigit()})
    return [step for step in steps if step > 0]


def new_statements(sweep: Sweep) -> None:
    since = sweep.now - timedelta(days=NEW_STATEMENT_DAYS)
    statements = sweep.session.exec(select(Statement).where(
        col(Statement.issued_at) >= since, col(Statement.superseded_at).is_(None),
        col(Statement.paid_at).is_(None)).order_by(Statement.id)).all()
    announced = set(sweep.session.exec(select(Notification.dedupe_key).where(
        col(Notification.dedupe_key).startswith('statement-ready:'), col(Notification.created_at) >= since
        - timedelta(days=1))).all())
    done = {key.split(':')[1] for key in announced}
    for statement in statements:
        if str(statement.id) in done or sweep.owed(statement.account_id) <= 0:
            continue
        sweep.notify(account_id=statement.account_id, template='statement_ready',
                     key=f'statement-ready:{statement.id}', path=f'/statements/{statement.id}')


def statements_due_soon(sweep: Sweep) -> None:
    statements = sweep.session.exec(select(Statement).where(
        col(Statement.due_date) >= sweep.today, col(Statement.due_date) <= sweep.today + timedelta(days=SOON_DAYS),
        col(Statement.superseded_at).is_(None), col(Statement.paid_at).is_(None))).all()
    for statement in statements:
        owed = min(statement.amount_due, sweep.owed(statement.account_id))
        if owed <= 0 or CHECKS['statement-due'](sweep.session, statement.id, None) is not None:  # type: ignore[arg-type]
            continue
        sweep.notify(account_id=statement.account_id, template='statement_due', key=f'statement-due:{statement.id}',
                     path=f'/statements/{statement.id}', amount=format_money(owed, statement.currency))


def statements_overdue(sweep: Sweep) -> None:
    """One message per ladder step, counted from the due date of the oldest unpaid statement; when a
    run was missed, only the highest step reached is sent."""
    steps = _ladder(sweep.session)
    if not steps:
        return
    latest_due = sweep.today - timedelta(days=steps[0])
    oldest: dict[int, Statement] = {}
    for statement in sweep.session.exec(select(Statement).where(
            col(Statement.paid_at).is_(None), col(Statement.due_date) <= latest_due)
            .order_by(Statement.account_id, Statement.due_date, Statement.id)).all():
        oldest.setdefault(statement.account_id, statement)
    for account_id, statement in oldest.items():
        late = (sweep.today - statement.due_date).days
        reached = [step for step in steps if step <= late]
        step = reached[-1]
        if step == steps[-1] and late >= step + LAST_STEP_WINDOW:
            continue
        if on_plan(sweep.session, account_id) or \
                CHECKS['statement-overdue'](sweep.session, statement.id, None) is not None:  # type: ignore[arg-type]
            continue
        sweep.notify(account_id=account_id, template='statement_overdue',
                     key=f'statement-overdue:{statement.id}:{step}', path='/statements',
                     amount=format_money(sweep.owed(account_id), statement.currency))


def installments_due_soon(sweep: Sweep) -> None:
    rows = sweep.session.exec(
        select(PlanInstallment, PaymentPlan)
        .join(PaymentPlan, col(PaymentPlan.id) == PlanInstallment.plan_id)
        .where(PlanInstallment.status == InstallmentStatus.scheduled, PaymentPlan.status == PlanStatus.active,
               col(PlanInstallment.due_date) >= sweep.today,
               col(PlanInstallment.due_date) <= sweep.today + timedelta(days=SOON_DAYS))).all()
    for installment, plan in rows:
        owed = min(coverage.still_due(sweep.session, installment.id), sweep.owed(plan.account_id))
        if owed <= 0:  # paid meanwhile (on /pay, by insurance...), or covered by a payment still processing
            continue
        sweep.notify(account_id=plan.account_id, template='installment_due', key=f'installment-due:{installment.id}',
                     path='/plans', amount=format_money(owed, plan.currency))


def failed_payments(sweep: Sweep) -> None:
    since = sweep.now - timedelta(days=FAILED_PAYMENT_DAYS)
    for payment in sweep.session.exec(select(Payment).where(
            Payment.status == PaymentStatus.failed, col(Payment.received_at) >= since)).all():
        told = sweep.session.exec(select(Notification.id).where(  # by the payments flow, under its own key
            col(Notification.template).in_(['payment_failed', RETURN_TEMPLATE]),
            Notification.account_id == payment.account_id,
            col(Notification.created_at) >= payment.received_at - timedelta(hours=1))).first()
        if told is not None or sweep.owed(payment.account_id) <= 0:
            continue
        sweep.notify(account_id=payment.account_id, template='payment_failed', key=f'payment-failed:{payment.id}',
                     path='/payment-methods', amount=format_money(payment.amount, payment.currency))


def appointment_stamp(starts_at: datetime) -> str:
    """A visit's start in its reminder key ('20260309T1530Z'): a moved visit gets a fresh reminder."""
    return starts_at.astimezone(UTC).strftime('%Y%m%dT%H%MZ')


def appointments_tomorrow(sweep: Sweep) -> None:
    """Booked visits tomorrow on the practice's calendar, keyed by visit and start time, with the link to
    the visit's calendar file; a cancelled visit gets none (and one cancelled after queueing is held back
    at send time, see portal.services.due)."""
    tomorrow = sweep.today + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0), tzinfo=sweep.zone)
    for appointment in sweep.session.exec(select(Appointment).where(
            Appointment.status == AppointmentStatus.booked, col(Appointment.starts_at) >= start,
            col(Appointment.starts_at) < start + timedelta(days=1))).all():
        sweep.notify(account_id=appointment.account_id, template='appointment_tomorrow',
                     key=f'appointment-tomorrow:{appointment.id}:{appointment_stamp(appointment.starts_at)}',
                     path='/appointments',
                     calendar_link=f'{sweep.base_url}/documents/appointments/{appointment.id}.ics')


SWEEPS: tuple[Callable[[Sweep], None], ...] = (
    new_statements, statements_due_soon, statements_overdue, installments_due_soon, failed_payments,
    appointments_tomorrow)


def queue_reminders() -> int:
    """Queue every reminder that is due and not yet queued; returns how many messages were queued.

    Each sweep commits on its own, so one failing sweep does not hold back the others; the run fails
    (and is recorded as failed) when any did."""
    base_url = get_settings().public_base_url
    queued, failures = 0, []
    for sweep_function in SWEEPS:
        try:
            with write_session() as session:
                zone = practice_zone(session)
                now = utcnow()
                sweep = Sweep(session=session, today=practice_day(now, zone=zone), now=now, base_url=base_url,
                              zone=zone, quiet=quiet_hours(session))
                sweep_function(sweep)
            queued += sweep.queued
        except Exception:
            log.exception('reminder sweep %s failed', sweep_function.__name__)
            failures.append(sweep_function.__name__)
    if failures:
        raise RuntimeError(f'reminder sweeps failed: {", ".join(failures)}')
    return queued
