"""Self-service payment plans: what a patient may choose, signing a plan, its progress, and the changes the
policy allows (payment day, autopay method, cancelling). Every function checks access to the exact account.

One open (active or delinquent) plan per account, enforced by a partial unique index as well.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_account
from portal.clock import utcnow
from portal.db import write_session
from portal.errors import DomainError, NotFound, ValidationFailed
from portal.models import (
    GuarantorAccount,
    InstallmentStatus,
    Payment,
    PaymentPlan,
    PaymentStatus,
    PlanInstallment,
    PlanStatus,
    SavedPaymentMethod,
)
from portal.money import format_money
from portal.services import autopay, plan_ledger, plan_policy, plan_schedule
from portal.services.payable import standing as payable_standing
from portal.services.person_names import guarantor_name
from portal.services.plan_schedule import Bounds, Schedule
from portal.services.practice import practice_today
from portal.services.saved_methods import method_label, usable_methods


@dataclass(frozen=True)
class MethodChoice:
    id: int
    label: str  # "Visa ending 4242"


@dataclass(frozen=True)
class PlanStart:
    """What the set-up form needs: the amount the plan would cover and the limits."""
    account_id: int
    account_number: str
    guarantor_name: str
    payable: int
    bounds: Bounds
    terms: str
    terms_version: str
    new_charges_rule: str
    methods: list[MethodChoice]
    eligible: bool
    reason: str  # why not, when not eligible
    today: date  # the practice's day: the schedule starts from it


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


def _payable(session: Session, account_id: int) -> int:
    """What a plan finances: the balance less payments still processing. Charges still with insurance are
    included, as plan_ledger counts the plan's need from the ledger balance."""
    reading = payable_standing(session, account_id)
    return max(0, reading.balance - reading.processing)


def start(session: Session, actor: Actor, account_id: int) -> PlanStart:
    require_account(session, actor, account_id, purpose='view_plans')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    policy = plan_policy.current(session)
    payable = _payable(session, account_id)
    reason = ''
    if plan_ledger.open_plan(session, account_id) is not None:
        reason = 'This account already has a payment plan.'
    elif payable < policy.min_balance:
        reason = (f'A payment plan is available for balances of {format_money(policy.min_balance)} '
                  f'or more. Your balance is {format_money(payable)}.')
    return PlanStart(account_id=account_id, account_number=account.account_number,
                     guarantor_name=guarantor_name(account),
                     payable=payable, bounds=plan_policy.bounds(policy), terms=plan_policy.terms(policy),
                     terms_version=policy.terms_version, new_charges_rule=policy.new_charges_rule,
                     methods=[MethodChoice(item.id, method_label(item))
                              for item in usable_methods(session, account_id)],
                     eligible=not reason, reason=reason, today=practice_today(session))


def _plain(text: str) -> list[str]:
    folded = unicodedata.normalize('NFKD', text).encode('ascii', 'ignore').decode().casefold()
    return re.findall(r'[a-z]+', folded)


def name_matches(typed: str, first: str, last: str) -> bool:
    """Reasonably the guarantor: first and last name present (any case, accents, middle names, order)."""
    words = _plain(typed)
    return bool(words) and all(part in words for part in _plain(first) + _plain(last))


def create(session: Session, actor: Actor, *, account_id: int, day_of_month: int, monthly: int | None = None,
           months: int | None = None, signed_name: str, consent: bool, autopay_method_id: int | None,
           expected_balance: int | None = None) -> PaymentPlan:
    """Check everything (nothing is stored on any error), then store the plan and its installments.

    `expected_balance` is the balance the patient's schedule was drawn from: if it changed meanwhile (a payment
    or a new charge), they are shown the new schedule rather than signing one they did not see."""
    require_account(session, actor, account_id, purpose='create_plan')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    if plan_ledger.open_plan(session, account_id) is not None:
        raise DomainError('This account already has a payment plan.')
    policy = plan_policy.current(session)
    today = practice_today(session)
    balance = _payable(session, account_id)
    if expected_balance is not None and balance != expected_balance:
        raise DomainError(f'Your balance changed to {format_money(balance)} since this page opened. Reload the '
                          'page to see the new schedule before you sign.')
    schedule = plan_schedule.build(balance=balance, bounds=plan_policy.bounds(policy),
                                   today=today, day_of_month=day_of_month, monthly=monthly, months=months)
    errors: dict[str, str] = {}
    if not name_matches(signed_name or '', account.guarantor_first_name, account.guarantor_last_name):
        errors['signed_name'] = (f'Type the full name of the account holder, '
                                 f'{guarantor_name(account)}, to sign.')
    if not consent:
        errors['consent'] = 'Tick the box to agree to the plan terms.'
    if autopay_method_id is not None and autopay_method_id not in {m.id for m in usable_methods(session, account_id)}:
        errors['autopay'] = 'Choose one of your saved payment methods, or pay each installment by hand.'
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    return _store(session, actor, account_id=account_id, policy_id=policy.id, terms_version=policy.terms_version,
                  schedule=schedule, signed_name=signed_name.strip()[:160], autopay_method_id=autopay_method_id)


def sign(actor: Actor, /, **terms: Any) -> PaymentPlan:  # noqa: ANN401
    """The patient signs: `create` (with its keyword arguments) in its own transaction, then, on autopay,
    the down payment due today is charged (the daily sweep's claims: a rerun never charges it twice; a
    refused charge leaves it failed and retried like any installment). Raises what `create` raises."""
    with write_session() as session:
        plan = create(session, actor, **terms)
    if plan.autopay_method_id and plan.down_payment:
        autopay.process_plan(plan.id)
    return plan


def _store(session: Session, actor: Actor, *, account_id: int, policy_id: int | None, terms_version: str,
           schedule: Schedule, signed_name: str, autopay_method_id: int | None) -> PaymentPlan:
    plan = PaymentPlan(account_id=account_id, policy_id=policy_id, total_amount=schedule.total,
                       down_payment=schedule.down_payment, installment_amount=schedule.monthly,
                       months=schedule.months, day_of_month=schedule.day_of_month,
                       autopay_method_id=autopay_method_id, signed_name=signed_name, signed_at=utcnow(),
                       signed_ip=(actor.ip or '')[:45], terms_version=terms_version, created_by_user_id=actor.user_id)
    try:
        with session.begin_nested():  # a second tab may have signed one meanwhile: the index says no
            session.add(plan)
            session.flush()
    except IntegrityError:
        raise DomainError('This account already has a payment plan.') from None
    for item in schedule.installments:
        session.add(PlanInstallment(plan_id=plan.id, seq=item.seq, due_date=item.due_date, amount=item.amount))
    audit.record(session, action='plan_create', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'months={schedule.months} autopay={"yes" if autopay_method_id else "no"} '
                        f'terms={terms_version}')
    session.flush()
    return plan


def _own_plan(session: Session, actor: Actor, plan_id: int, *, purpose: str) -> PaymentPlan:
    plan = session.get(PaymentPlan, plan_id)
    if plan is None:
        raise NotFound()
    require_account(session, actor, plan.account_id, purpose=purpose)
    return plan


def overview(session: Session, actor: Actor, account_id: int) -> PlanView | None:
    """The account's open plan (brought up to date with the ledger first), or its latest finished one."""
    require_account(session, actor, account_id, purpose='view_plans')
    plan = plan_ledger.open_plan(session, account_id)
    if plan is None:
        return None
    return view_of(session, plan)


def view_of(session: Session, plan: PaymentPlan) -> PlanView:
    rows = plan_ledger.installments(session, plan.id)
    standing = plan_ledger.reconcile(session, plan, rows=rows)
    today = practice_today(session)
    lines = [InstallmentLine(seq=row.seq, due_date=row.due_date, amount=row.amount,
                             status=_line_status(row, today, standing.due_now.get(row.id, 0)),
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


def _line_status(row: PlanInstallment, today: date, still_due: int) -> str:
    if row.status in plan_ledger.IN_FLIGHT:
        return 'processing'
    if row.status not in plan_ledger.OPEN or not still_due:
        return row.status
    if row.status == InstallmentStatus.failed:
        return 'failed'
    return 'past_due' if row.due_date < today else 'due' if row.due_date == today else 'scheduled'


def _returned(session: Session, plan: PaymentPlan) -> int:
    """A payment the bank returned stays news until another payment is made."""
    latest = session.exec(select(Payment.status, Payment.amount).where(
        Payment.account_id == plan.account_id, col(Payment.received_at) >= plan.signed_at)
        .order_by(col(Payment.received_at).desc(), col(Payment.id).desc())).first()
    return latest[1] if latest is not None and latest[0] == PaymentStatus.failed else 0


def change_day(session: Session, actor: Actor, *, plan_id: int, day_of_month: int) -> PaymentPlan:
    """Move every scheduled installment to the new day; the next one falls on the first such day after today."""
    plan = _own_plan(session, actor, plan_id, purpose='change_plan')
    if plan.status != PlanStatus.active:
        raise DomainError('The payment day can be changed on an active plan only.')
    if not 1 <= day_of_month <= plan_schedule.MAX_DAY_OF_MONTH:
        message = f'Choose a day from 1 to {plan_schedule.MAX_DAY_OF_MONTH}.'
        raise ValidationFailed(message, field_errors={'day_of_month': message})
    scheduled = [row for row in plan_ledger.installments(session, plan.id)
                 if row.status == InstallmentStatus.scheduled and row.seq]
    first = plan_schedule.first_due_date(practice_today(session), day_of_month)
    for index, row in enumerate(scheduled):
        row.due_date = plan_schedule.add_months(first, index, day_of_month)
    plan.day_of_month = day_of_month
    audit.record(session, action='plan_change_day', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=plan.account_id, source_ip=actor.ip,
                 detail=f'day={day_of_month}')
    session.flush()
    return plan


def change_autopay(session: Session, actor: Actor, *, plan_id: int, method_id: int | None) -> PaymentPlan:
    """Switch the autopay method (or turn autopay off). A past-due plan becomes active again and its failed
    installment is retried at the next run."""
    plan = _own_plan(session, actor, plan_id, purpose='change_plan')
    if plan.status not in plan_ledger.ACTIVE:
        raise DomainError('This plan has ended.')
    if method_id is not None and method_id not in {m.id for m in usable_methods(session, plan.account_id)}:
        raise ValidationFailed('Choose one of your saved payment methods.',
                               field_errors={'autopay': 'Choose one of your saved payment methods.'})
    plan.autopay_method_id = method_id
    if plan.status == PlanStatus.delinquent:
        plan.status = PlanStatus.active
        for row in plan_ledger.installments(session, plan.id):
            if row.status == InstallmentStatus.failed:
                row.next_retry_on = practice_today(session)
    audit.record(session, action='plan_change_autopay', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=plan.account_id, source_ip=actor.ip,
                 detail=f'autopay={"on" if method_id else "off"}')
    session.flush()
    return plan


def cancel(session: Session, actor: Actor, *, plan_id: int) -> PaymentPlan:
    """The policy lets a patient cancel at any time; the remaining balance is then due as billed."""
    plan = _own_plan(session, actor, plan_id, purpose='cancel_plan')
    if plan.status not in plan_ledger.ACTIVE:
        raise DomainError('This plan has already ended.')
    if any(row.status in plan_ledger.IN_FLIGHT for row in plan_ledger.installments(session, plan.id)):
        raise DomainError('A payment for this plan is still processing. Try again once it has gone through.')
    plan.status, plan.cancelled_at = PlanStatus.cancelled, utcnow()
    audit.record(session, action='plan_cancel', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=plan.account_id, source_ip=actor.ip)
    session.flush()
    return plan
