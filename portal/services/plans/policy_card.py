"""The payment-plan policy: one card of limits that staff set, and the agreement text it implies.

No interest, ever. Changing the policy bumps the terms version; plans keep the version they were
signed under, and the policy changes only plans signed after it.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow
from portal.errors import ValidationFailed
from portal.models import PlanPolicy
from portal.money import AmountError, format_money, parse_amount
from portal.services.plans.schedules import Bounds

RULES = {'respread': 'Added to the plan and spread over the remaining payments',
         'separate': 'Billed separately, outside the plan'}
MAX_MONTHS_LIMIT = 60
MAX_DOWN_PAYMENT_PERCENT = 50
MIN_INSTALLMENT_FLOOR = 100  # $1.00


@dataclass(frozen=True)
class PolicyForm:
    min_balance: str
    min_installment: str
    max_months: str
    down_payment_percent: str
    new_charges_rule: str


@dataclass(frozen=True)
class PolicyView:
    """The policy in force as staff edit it: amounts in minor units, the down payment in percent."""
    min_balance: int
    min_installment: int
    max_months: int
    down_payment_percent: int
    new_charges_rule: str
    terms_version: str


def for_staff(session: Session, /, *, actor: Actor) -> PolicyView:
    """The policy in force, for the staff plans page (staff only: anyone else is refused)."""
    require_staff(session, actor, purpose='view_plan_policy')
    return _view(current(session))


def _view(policy: PlanPolicy) -> PolicyView:
    return PolicyView(min_balance=policy.min_balance, min_installment=policy.min_installment,
                      max_months=policy.max_months, down_payment_percent=policy.down_payment_percent,
                      new_charges_rule=policy.new_charges_rule, terms_version=policy.terms_version)


def current(session: Session, /) -> PlanPolicy:
    """The policy in force (the first row; created with the model's defaults on a bare database)."""
    policy = session.exec(select(PlanPolicy).order_by(col(PlanPolicy.id)).limit(1)).first()
    if policy is None:
        policy = PlanPolicy()
        session.add(policy)
        session.flush()
    return policy


def bounds(policy: PlanPolicy) -> Bounds:
    return Bounds(min_balance=policy.min_balance, min_installment=policy.min_installment,
                  max_months=policy.max_months, down_payment_percent=policy.down_payment_percent)


def terms(policy: PlanPolicy) -> str:
    """The agreement a patient signs, in plain words, with this policy's figures (generated, so it always says
    what the portal does; the stored terms_text of older data is not shown)."""
    new_charges = ('New charges on your account are added to this plan and spread over the payments that '
                   'remain.' if policy.new_charges_rule == 'respread'
                   else 'New charges are billed separately and are not added to this plan.')
    down = (f'A down payment of {policy.down_payment_percent}% of the balance is due today. '
            if policy.down_payment_percent else '')
    what = 'the rest' if down else 'the balance'
    return (f'{down}You agree to pay {what} in monthly payments on the day of the month you chose, for at most '
            f'{policy.max_months} months. There is no interest and no fee. With autopay, each payment is charged '
            'to the payment method you chose; without it, you pay each one in the portal by its date. If a '
            'payment fails we will try again after 3 and 7 days and let you know; after that the plan is marked '
            'past due and the billing office will contact you. You can pay ahead or pay off the plan at any time, '
            f'change the payment day, or cancel the plan; the remaining balance is then due. {new_charges}')


def _whole_number(text: str, *, low: int, high: int, label: str) -> int:
    cleaned = (text or '').strip().rstrip('%').strip()
    if not cleaned.isdigit() or not low <= int(cleaned) <= high:
        raise ValueError(f'{label} must be a whole number from {low} to {high}.')
    return int(cleaned)


def update(session: Session, /, *, actor: Actor, form: PolicyForm) -> PolicyView:
    """Check every field (all messages at once), store, bump the terms version and audit."""
    require_staff(session, actor, purpose='plan_policy_update')
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    for name, text in (('min_balance', form.min_balance), ('min_installment', form.min_installment)):
        try:
            values[name] = parse_amount(text)
        except AmountError as error:
            errors[name] = str(error)
    for name, text, low, high, label in (
            ('max_months', form.max_months, 1, MAX_MONTHS_LIMIT, 'Maximum months'),
            ('down_payment_percent', form.down_payment_percent or '0', 0, MAX_DOWN_PAYMENT_PERCENT, 'Down payment')):
        try:
            values[name] = _whole_number(text, low=low, high=high, label=label)
        except ValueError as error:
            errors[name] = str(error)
    if form.new_charges_rule not in RULES:
        errors['new_charges_rule'] = 'Choose what happens to new charges.'
    if 'min_installment' in values and int(values['min_installment']) < MIN_INSTALLMENT_FLOOR:  # type: ignore[call-overload]
        errors['min_installment'] = f'The minimum payment must be at least {format_money(MIN_INSTALLMENT_FLOOR)}.'
    if errors:
        raise ValidationFailed('Please correct the highlighted fields.', field_errors=errors)
    policy = current(session)
    before = (policy.min_balance, policy.min_installment, policy.max_months, policy.down_payment_percent,
              policy.new_charges_rule)
    policy.min_balance = int(values['min_balance'])  # type: ignore[call-overload]
    policy.min_installment = int(values['min_installment'])  # type: ignore[call-overload]
    policy.max_months = int(values['max_months'])  # type: ignore[call-overload]
    policy.down_payment_percent = int(values['down_payment_percent'])  # type: ignore[call-overload]
    policy.new_charges_rule = form.new_charges_rule
    after = (policy.min_balance, policy.min_installment, policy.max_months, policy.down_payment_percent,
             policy.new_charges_rule)
    if after != before:
        now = utcnow()
        policy.terms_version = now.strftime('%Y-%m-%d.%H%M%S')
        policy.updated_at, policy.updated_by_user_id = now, actor.user_id
        audit.record(session, action='plan_policy_update', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='plan_policy', entity_id=policy.id, source_ip=actor.ip,
                     detail='min_balance={} min_installment={} max_months={} down={}% rule={}'.format(*after))
    session.flush()
    return _view(policy)
