"""Charging a saved method (hosted checkouts are in hosted_checkout): the attempt and its idempotency key
are stored (portal.services.payments.attempts) before any gateway call, so a double click, a second tab, a
retry or a restart charges once.

One open attempt per account and target (the partial unique index): a second request for the same
target reuses it, and the gateway sees the same key again, which returns the same result. Attempts for
different targets of one account share the account's cap (portal.services.payable): together with
what is processing they never exceed what is owed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import AttemptStatus, Payment, PaymentAttempt, SavedPaymentMethod
from portal.money import format_money
from portal.payments.gateway import GatewayError, OffSessionCharge
from portal.payments.registry import gateway
from portal.services.payments.attempts import (
    PaymentUnderWay,
    attempt_by_key,
    close_replaced_checkouts,
    expire_checkout,
    open_attempt,
    reserve,
)
from portal.services.payments.events import apply_intent_state
from portal.services.payments.hosted_checkout import IN_CHECKOUT, authentication_checkout
from portal.services.practice import cached_practice

Status = Literal['succeeded', 'processing', 'failed', 'requires_action']
FINISHED = frozenset({AttemptStatus.succeeded, AttemptStatus.failed, AttemptStatus.cancelled, AttemptStatus.expired})


@dataclass(frozen=True)
class ChargeOutcome:
    status: Status
    attempt_id: int
    payment_id: int | None
    message: str
    checkout_url: str | None = None


def new_key(prefix: str = 'pay') -> str:
    return f'{prefix}:{uuid.uuid4().hex}'


def outcome_of(session: Session, /, attempt: PaymentAttempt, *, checkout_url: str | None = None) -> ChargeOutcome:
    payment = session.exec(select(Payment).where(Payment.attempt_id == attempt.id)
                           .order_by(col(Payment.id).desc())).first()
    if payment is None and attempt.gateway_intent_id:
        payment = session.exec(select(Payment).where(Payment.gateway_intent_id == attempt.gateway_intent_id)).first()
    amount = format_money(attempt.amount, attempt.currency)
    if attempt.status == AttemptStatus.succeeded:
        status, message = 'succeeded', f'Payment of {amount} received. Thank you!'
    elif attempt.status == AttemptStatus.processing:
        status, message = 'processing', (f'Your payment of {amount} is processing. Bank payments take a few '
                                         'business days; your balance shows it as processing until then.')
    elif attempt.status == AttemptStatus.open and checkout_url:
        status, message = 'requires_action', 'Your bank needs you to confirm this payment.'
    elif attempt.status == AttemptStatus.open:
        status, message = 'processing', 'We are still waiting to hear back about this payment.'
    else:
        status, message = 'failed', attempt.error_message or 'The payment did not go through. Nothing was charged.'
    return ChargeOutcome(status=status, attempt_id=attempt.id, payment_id=payment.id if payment else None,  # type: ignore[arg-type]
                         message=message, checkout_url=checkout_url)


@dataclass(frozen=True)
class _Ready:
    """A stored attempt about to be charged off-session (see charge_saved_method)."""
    attempt_id: int
    charge: OffSessionCharge
    handed_over: bool  # the same request again, on its authentication checkout: give that checkout back
    on_checkout: str | None  # the hosted checkout another window opened for this attempt: close it first


def _ready_to_charge(*, account_id: int, method_id: int, amount: int, target: str, idempotency_key: str,
                     description: str, user_id: int | None) -> _Ready | ChargeOutcome:
    """In one write session: the attempt's outcome when it is over, else the attempt stored (or held again)
    under the account's cap and the charge to send."""
    chosen = gateway()
    with write_session() as session:
        attempt = attempt_by_key(session, idempotency_key)
        if attempt is not None and attempt.status in FINISHED | {AttemptStatus.processing}:
            return outcome_of(session, attempt)
        method = session.get(SavedPaymentMethod, method_id)
        if attempt is None or attempt.status == AttemptStatus.open:
            if method is None or method.account_id != account_id or method.removed_at is not None:
                raise ValidationFailed('That payment method is not available. Choose another one.')
            if method.gateway != chosen.name:
                raise ValidationFailed('That payment method can no longer be used. Please add it again.')
            attempt = open_attempt(session, account_id=account_id, target=target, amount=amount,
                                   idempotency_key=idempotency_key, user_id=user_id)
        if attempt.status != AttemptStatus.open or method is None:
            return outcome_of(session, attempt)
        # the attempt is on a hosted checkout: the same request again gets its authentication checkout;
        # another (a second window, or back from the checkout page) closes that checkout before charging
        handed_over = bool(attempt.gateway_session_id) and attempt.idempotency_key == idempotency_key
        assert attempt.id is not None
        return _Ready(attempt_id=attempt.id, handed_over=handed_over,
                      on_checkout=attempt.gateway_session_id if not handed_over else None,
                      charge=OffSessionCharge(
                          idempotency_key=attempt.idempotency_key, customer_id=method.gateway_customer_id,
                          method_id=method.gateway_method_id, amount=attempt.amount, currency=attempt.currency,
                          description=description or f'{cached_practice().name} payment',
                          metadata={'attempt_id': str(attempt.id), 'account_id': str(account_id)}))


def charge_saved_method(*, account_id: int, method_id: int, amount: int, target: str, idempotency_key: str,
                        description: str = '', user_id: int | None = None,
                        close_checkouts: bool = True) -> ChargeOutcome:
    """Charge a saved method (autopay, or a patient's "pay with my saved card") exactly once per key.

    The attempt is stored under the account's cap first; when another attempt in flight leaves no room,
    the account's unpaid hosted checkouts are closed and it is tried again (`close_checkouts=False`:
    autopay leaves a patient's checkout alone). Raises ValidationFailed, PaymentUnderWay (nothing charged)
    or AttemptChanged. Opens its own sessions and holds no transaction during the gateway call.
    """
    chosen = gateway()

    def ready() -> _Ready | ChargeOutcome:
        return _ready_to_charge(account_id=account_id, method_id=method_id, amount=amount, target=target,
                                idempotency_key=idempotency_key, description=description, user_id=user_id)

    prepared = reserve(ready, account_id=account_id) if close_checkouts else ready()
    if isinstance(prepared, ChargeOutcome):
        return prepared
    attempt_id, charge, on_checkout = prepared.attempt_id, prepared.charge, prepared.on_checkout
    if prepared.handed_over:
        url = authentication_checkout(attempt_id)
        with read_session() as session:
            return outcome_of(session, session.get(PaymentAttempt, attempt_id), checkout_url=url)  # type: ignore[arg-type]
    if on_checkout:
        if not expire_checkout(on_checkout):  # it may have been paid just now: never charge twice
            raise ValidationFailed(IN_CHECKOUT)
        with write_session() as session:  # that checkout is closed: the attempt stands on this charge now
            attempt = session.get(PaymentAttempt, attempt_id)
            assert attempt is not None
            if attempt.status != AttemptStatus.open:  # another payment closed it and took its place meanwhile
                raise PaymentUnderWay()
            if attempt.gateway_session_id == on_checkout:
                attempt.gateway_session_id = attempt.gateway_intent_id = None
            attempt.updated_at = utcnow()  # in flight now, without a checkout
    close_replaced_checkouts(account_id)
    try:
        state = chosen.charge_off_session(charge)
    except GatewayError as error:
        with write_session() as session:
            attempt = session.get(PaymentAttempt, attempt_id)
            assert attempt is not None
            if not error.retryable and attempt.status == AttemptStatus.open:
                attempt.status, attempt.error_message = AttemptStatus.failed, error.message[:300]
                attempt.updated_at = utcnow()
            return ChargeOutcome(status='failed', attempt_id=attempt_id, payment_id=None, message=error.message)
    with write_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        if state.status != 'requires_action':
            if state.intent_id and not attempt.gateway_intent_id:
                attempt.gateway_intent_id = state.intent_id
            apply_intent_state(session, state, attempt_id=attempt_id)
            outcome, opened = outcome_of(session, attempt), attempt.gateway_session_id
        else:
            outcome = opened = None
            # the off-session intent is over (Stripe leaves it requires_payment_method and reports it
            # failed): the payment is now the authentication checkout's, whose intent the attempt learns
            if attempt.gateway_intent_id == state.intent_id:
                attempt.gateway_intent_id = None
    if outcome is not None:
        if opened and outcome.status in ('succeeded', 'processing'):  # another window opened a checkout meanwhile
            expire_checkout(opened)
        return outcome
    url = authentication_checkout(attempt_id)
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        return outcome_of(session, attempt, checkout_url=url)

