"""Signing a payment plan: what a patient may choose (the amount a plan would cover, the limits, their saved
methods), and the signed plan with its installments. Every function checks access to the exact account.

One open (active or delinquent) plan per account, enforced by a partial unique index as well.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portal import audit
from portal.auth.permissions import Actor, require_account
from portal.clock import utcnow
from portal.db import write_session
from portal.errors import DomainError, NotFound, ValidationFailed
from portal.models import GuarantorAccount, PaymentPlan, PlanHeldCharge, PlanInstallment
from portal.money import format_money
from portal.services import autopay
from portal.services.payable import standing as payable_standing
from portal.services.person_names import guarantor_name
from portal.services.plans import coverage, policy_card, schedules
from portal.services.plans.schedules import Bounds, Schedule
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
    waiting: int = 0  # open on charges still with insurance: never in a plan


def _payable(session: Session, account_id: int) -> int:
    """What a plan finances: what is payable now (the balance less payments still processing and less what
    is waiting for insurance, `payable.standing`). Charges still with insurance never go into installments;
    plans.coverage leaves them out of the plan's need the same way."""
    return payable_standing(session, account_id).now


def start(session: Session, /, *, actor: Actor, account_id: int) -> PlanStart:
    require_account(session, actor, account_id, purpose='view_plans')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    policy = policy_card.current(session)
    money = payable_standing(session, account_id)
    payable = money.now
    reason = ''
    if coverage.open_plan(session, account_id) is not None:
        reason = 'This account already has a payment plan.'
    elif payable <= 0:
        reason = 'Nothing is owed now, so there is nothing to put on a plan.'
    elif payable < policy.min_balance:
        reason = (f'A payment plan is available when what you owe now is {format_money(policy.min_balance)} '
                  f'or more. What you owe now is {format_money(payable)}.')
        if money.waiting:
            reason += (f' Another {format_money(money.waiting)} is waiting for insurance: it is not asked for '
                       'yet and cannot go on a plan.')
    return PlanStart(account_id=account_id, account_number=account.account_number,
                     guarantor_name=guarantor_name(account),
                     payable=payable, bounds=policy_card.bounds(policy), terms=policy_card.terms(policy),
                     terms_version=policy.terms_version, new_charges_rule=policy.new_charges_rule,
                     methods=[MethodChoice(item.id, method_label(item))
                              for item in usable_methods(session, account_id)],
                     eligible=not reason, reason=reason, today=practice_today(session), waiting=money.waiting)


def _plain(text: str) -> list[str]:
    folded = unicodedata.normalize('NFKD', text).encode('ascii', 'ignore').decode().casefold()
    return re.findall(r'[a-z]+', folded)


def name_matches(typed: str, first: str, last: str) -> bool:
    """Reasonably the guarantor: first and last name present (any case, accents, middle names, order)."""
    words = _plain(typed)
    return bool(words) and all(part in words for part in _plain(first) + _plain(last))


def create(session: Session, /, actor: Actor, *, account_id: int, day_of_month: int, monthly: int | None = None,
           months: int | None = None, signed_name: str, consent: bool, autopay_method_id: int | None,
           expected_balance: int | None = None) -> PaymentPlan:
    """Check everything (nothing is stored on any error), then store the plan and its installments.

    `expected_balance` is the balance the patient's schedule was drawn from: if it changed meanwhile (a payment
    or a new charge), they are shown the new schedule rather than signing one they did not see."""
    require_account(session, actor, account_id, purpose='create_plan')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    if coverage.open_plan(session, account_id) is not None:
        raise DomainError('This account already has a payment plan.')
    policy = policy_card.current(session)
    today = practice_today(session)
    balance = _payable(session, account_id)
    if expected_balance is not None and balance != expected_balance:
        raise DomainError(f'Your balance changed to {format_money(balance)} since this page opened. Reload the '
                          'page to see the new schedule before you sign.')
    schedule = schedules.build(balance=balance, bounds=policy_card.bounds(policy),
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


def sign(*, actor: Actor, account_id: int, day_of_month: int, monthly: int | None = None, months: int | None = None,
         signed_name: str, consent: bool, autopay_method_id: int | None, expected_balance: int | None = None) -> int:
    """The patient signs: `create` in its own transaction, then, on autopay, the down payment due today is
    charged (the daily sweep's claims: a rerun never charges it twice; a refused charge leaves it failed and
    retried like any installment). Returns the plan's id; raises what `create` raises."""
    with write_session() as session:
        plan = create(session, actor, account_id=account_id, day_of_month=day_of_month, monthly=monthly,
                      months=months, signed_name=signed_name, consent=consent,
                      autopay_method_id=autopay_method_id, expected_balance=expected_balance)
        plan_id, charge_now = plan.id, bool(plan.autopay_method_id and plan.down_payment)
    if charge_now:
        autopay.process_plan(plan_id)
    return plan_id  # type: ignore[return-value]


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
    session.add_all(PlanHeldCharge(plan_id=plan.id, charge_id=charge_id)
                    for charge_id in coverage.waiting_charges(session, account_id))
    audit.record(session, action='plan_create', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment_plan', entity_id=plan.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'months={schedule.months} autopay={"yes" if autopay_method_id else "no"} '
                        f'terms={terms_version}')
    session.flush()
    return plan
