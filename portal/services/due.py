"""Is a queued message still wanted? Checked by the senders at send time, not when it was queued.

A reminder queued in the morning and paid off by lunch is never sent: its row turns 'suppressed'
with the reason. The subject of a reminder is the id in its dedupe key ('<prefix>:<id>[:...]'),
the contract the reminder job and the statements and payments flows share.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC

from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.models import (
    AccountFlag,
    Appointment,
    FlagKind,
    Notification,
    PasswordResetToken,
    PaymentPlan,
    PlanInstallment,
    PlanStatus,
    StaffInvite,
    Statement,
)
from portal.notify import templates
from portal.services.account_flags import in_force
from portal.services.payable import payable_now
from portal.services.plans import coverage
from portal.services.practice import practice_today
from portal.services.preferences import channel_allowed

HOLD_FLAGS = (FlagKind.dispute, FlagKind.chargeback, FlagKind.collections_hold, FlagKind.financial_assistance)
ASKS_FOR_MONEY = frozenset({'statement_due', 'statement_overdue', 'installment_due', 'payment_failed',
                            'payment_method_update', 'payment_action_needed', 'plan_payment_returned'})


def _owes(session: Session, account_id: int) -> bool:
    return payable_now(session, account_id) > 0


def _on_hold(session: Session, account_id: int) -> bool:
    return session.exec(select(AccountFlag.id).where(
        AccountFlag.account_id == account_id, col(AccountFlag.kind).in_(HOLD_FLAGS),
        in_force(practice_today(session)))).first() is not None


def _statement(session: Session, statement_id: int, *, reminder: bool, current: bool = True) -> str | None:
    statement = session.get(Statement, statement_id)
    if statement is None:
        return 'statement not found'
    if statement.paid_at is not None:
        return 'statement paid'
    if current and statement.superseded_at is not None:
        return 'a newer statement replaced it'
    if not _owes(session, statement.account_id):
        return 'nothing owed'
    if reminder and _on_hold(session, statement.account_id):
        return 'account on hold'
    if reminder and on_plan(session, statement.account_id):
        return 'on a payment plan'  # the installment reminders cover it
    return None


def on_plan(session: Session, account_id: int) -> bool:
    return session.exec(select(PaymentPlan.id).where(PaymentPlan.account_id == account_id,
                                                     PaymentPlan.status == PlanStatus.active)).first() is not None


def _installment(session: Session, installment_id: int) -> str | None:
    """Asks the ledger, not the installment's stored status: a payment posted by any path counts."""
    installment = session.get(PlanInstallment, installment_id)
    plan = session.get(PaymentPlan, installment.plan_id) if installment is not None else None
    if plan is None or plan.status != PlanStatus.active:
        return 'plan not active'
    if not _owes(session, plan.account_id):
        return 'nothing owed'
    if coverage.still_due(session, installment_id) <= 0:
        return 'installment paid'
    return None


def _asks_for_money(session: Session, notification: Notification) -> str | None:
    if notification.account_id is not None and not _owes(session, notification.account_id):
        return 'nothing owed'
    return None


def _appointment(session: Session, appointment_id: int, notification: Notification) -> str | None:
    """Still booked, ahead, and at the time the key names (a moved visit's old reminder is held back)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.status != 'booked':
        return 'appointment not booked'
    if appointment.starts_at <= utcnow():
        return 'appointment passed'
    parts = notification.dedupe_key.split(':')
    if len(parts) > 2 and parts[2] != appointment.starts_at.astimezone(UTC).strftime('%Y%m%dT%H%MZ'):
        return 'appointment moved'
    return None


def _password_reset(session: Session, reset_id: int) -> str | None:
    reset = session.get(PasswordResetToken, reset_id)
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return 'reset link expired or used'
    return None


def _staff_invite(session: Session, invite_id: int) -> str | None:
    invite = session.get(StaffInvite, invite_id)
    if invite is None or invite.used_at is not None or invite.revoked_at is not None or invite.expires_at <= utcnow():
        return 'invitation expired, revoked or used'
    return None


Check = Callable[[Session, int, Notification], str | None]
CHECKS: dict[str, Check] = {
    'statement-ready': lambda session, id_, _row: _statement(session, id_, reminder=False),
    'statement-due': lambda session, id_, _row: _statement(session, id_, reminder=True),
    # keyed by the oldest unpaid statement, which newer ones have usually superseded
    'statement-overdue': lambda session, id_, _row: _statement(session, id_, reminder=True, current=False),
    'installment-due': lambda session, id_, _row: _installment(session, id_),
    'payment-failed': lambda session, _id, row: _asks_for_money(session, row),
    'payment-returned': lambda session, _id, row: _asks_for_money(session, row),
    'appointment-tomorrow': lambda session, id_, row: _appointment(session, id_, row),
    'password_reset': lambda session, id_, _row: _password_reset(session, id_),
    'staff_invite': lambda session, id_, _row: _staff_invite(session, id_),
}


def suppression_reason(session: Session, notification: Notification) -> str | None:
    """Why this message should not go out now (None: send it)."""
    kind = templates.get(notification.template).kind
    if kind is not None and notification.user_id is not None and not channel_allowed(
            session, user_id=notification.user_id, kind=kind, channel=notification.channel):
        return 'turned off in preferences'
    prefix, _, rest = notification.dedupe_key.partition(':')
    check = CHECKS.get(prefix)
    subject = rest.split(':', 1)[0]
    if check is None or not subject.isdigit():
        # keyed otherwise (autopay's 'plan-<plan>-inst-<seq>-...'): a message asking for money still asks
        # only while something is owed
        return _asks_for_money(session, notification) if notification.template in ASKS_FOR_MONEY else None
    return check(session, int(subject), notification)
