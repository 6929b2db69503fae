"""Charging a saved method and opening hosted checkouts: the attempt and its idempotency key are stored
(portal.services.payments.attempts) before any gateway call, so a double click, a second tab, a retry or
a restart charges once.

One open attempt per account and target (the partial unique index): a second request for the same
target reuses it, and the gateway sees the same key again, which returns the same result. Attempts for
different targets of one account share the account's cap (portal.services.payable): together with
what is processing they never exceed what is owed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound, ValidationFailed
from portal.models import AttemptStatus, GatewayCustomer, GuarantorAccount, Payment, PaymentAttempt, SavedPaymentMethod
from portal.money import format_money
from portal.payments.gateway import CheckoutRequest, GatewayError, OffSessionCharge
from portal.payments.registry import gateway
from portal.services.payable import payable_now
from portal.services.payments import tokens
from portal.services.payments.attempts import AttemptChanged as AttemptChanged
from portal.services.payments.attempts import PaymentUnderWay as PaymentUnderWay
from portal.services.payments.attempts import (
    attempt_by_key,
    close_replaced_checkouts,
    expire_checkout,
    open_attempt,
    reserve,
)
from portal.services.payments.events import apply_intent_state
from portal.services.practice import cached_practice

Status = Literal['succeeded', 'processing', 'failed', 'requires_action']
FINISHED = frozenset({AttemptStatus.succeeded, AttemptStatus.failed, AttemptStatus.cancelled, AttemptStatus.expired})
IN_CHECKOUT = ('This payment is already under way on the secure payment page, perhaps in another window. '
               'Finish it there, or wait a few minutes and check your balance.')
NO_LONGER_NEEDED = 'This payment was already made or is no longer needed. Nothing more was charged.'


@dataclass(frozen=True)
class ChargeOutcome:
    status: Status
    attempt_id: int
    payment_id: int | None
    message: str
    checkout_url: str | None = None


def new_key(prefix: str = 'pay') -> str:
    return f'{prefix}:{uuid.uuid4().hex}'


def customer_for(account_id: int) -> str:
    """The gateway customer of an account, created once (no transaction is open during the call)."""
    chosen = gateway()
    with read_session() as session:
        existing = session.exec(select(GatewayCustomer.customer_id).where(
            GatewayCustomer.account_id == account_id, GatewayCustomer.gateway == chosen.name)).first()
        if existing:
            return existing
        account = session.get(GuarantorAccount, account_id)
        if account is None:
            raise NotFound()
        number = account.account_number
    customer_id = chosen.ensure_customer(idempotency_key=f'customer:{account_id}', account_number=number)
    with write_session() as session:
        try:
            with session.begin_nested():
                session.add(GatewayCustomer(account_id=account_id, gateway=chosen.name, customer_id=customer_id))
        except IntegrityError:
            pass
    return customer_id


def outcome_of(session: Session, attempt: PaymentAttempt, *, checkout_url: str | None = None) -> ChargeOutcome:
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


def done_url(attempt_id: int, *, issued_at: datetime | None = None) -> str:
    """The pay result page of an attempt; pass the attempt's creation time for a URL sent to the gateway
    under the attempt's idempotency key (a retry must send the same URL)."""
    return f'{get_settings().public_base_url}/pay/done?t={tokens.make("done", attempt_id, issued_at=issued_at)}'


def checkout_for_attempt(attempt_id: int, *, key_suffix: str = 'checkout', save_method: bool = False,
                         user_id: int | None = None) -> str:
    """Start (or find again) the one hosted checkout of an attempt; return its URL.

    One key per attempt whatever the choices (keep the method or not): a second window gets the same
    checkout. The authentication hand-off of a saved card has its own key; whichever of the two came
    first is closed when the other opens, so only one can take the payment."""
    close_replaced_checkouts(None, attempt_id=attempt_id)
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        if attempt is None:
            raise NotFound()
        if attempt.status != AttemptStatus.open:
            raise DomainError(NO_LONGER_NEEDED)
        account_id, amount, currency, key = attempt.account_id, attempt.amount, attempt.currency, \
            attempt.idempotency_key
        created_at = attempt.created_at
        previous = attempt.gateway_session_id
    try:
        customer = customer_for(account_id)
    except GatewayError as error:
        raise DomainError(error.message) from None
    settings = get_settings()
    metadata = {'attempt_id': str(attempt_id), 'account_id': str(account_id)}
    if user_id is not None:
        metadata['user_id'] = str(user_id)
    request = CheckoutRequest(
        idempotency_key=f'{key}:{key_suffix}'[:120], customer_id=customer,
        success_url=done_url(attempt_id, issued_at=created_at),
        cancel_url=f'{settings.public_base_url}/pay?cancelled=1',
        description=f'{cached_practice().name} payment', metadata=metadata, amount=amount, currency=currency,
        save_method=save_method)
    try:
        checkout = gateway().start_checkout(request)
    except GatewayError as error:  # nothing was charged; the attempt stays open for a retry
        if not previous:
            raise DomainError(error.message) from None
        # the gateway refuses the same key with other choices (keep the method or not): the checkout
        # already open, as it was first asked for
        try:
            checkout = gateway().start_checkout(replace(request, save_method=not save_method))
        except GatewayError:
            raise DomainError(error.message) from None
    if previous and checkout.session_id != previous and not expire_checkout(previous):
        # the attempt's other checkout (the authentication hand-off, or the reverse) was just paid or
        # cannot be closed: this one must not be offered as well
        expire_checkout(checkout.session_id)
        raise DomainError(IN_CHECKOUT)
    with write_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        # closed by another payment meanwhile, say
        over = attempt.status not in (AttemptStatus.open, AttemptStatus.cancelled)
        if not over:  # a cancelled one keeps counting until close_replaced_checkouts closes this checkout
            attempt.gateway_session_id = checkout.session_id
            if checkout.intent_id and not attempt.gateway_intent_id:
                attempt.gateway_intent_id = checkout.intent_id
    if over:
        expire_checkout(checkout.session_id)
        raise DomainError(NO_LONGER_NEEDED)
    return checkout.url


def authentication_checkout(attempt_id: int) -> str:
    """The bank asked for authentication on an off-session charge: the patient finishes in Checkout
    (its own key: a checkout this attempt had before was closed for the charge)."""
    return checkout_for_attempt(attempt_id, key_suffix='authenticate')


def still_payable(attempt_id: int | None) -> str:
    """'' when a hosted checkout may still take this attempt's payment; otherwise why not (another
    window already paid it, or the balance no longer allows it)."""
    if attempt_id is None:
        return ''
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        if attempt is None:
            return ''
        if attempt.status in (AttemptStatus.succeeded, AttemptStatus.processing):
            return 'This payment was already made in another window. Nothing more was charged.'
        if attempt.status in (AttemptStatus.cancelled, AttemptStatus.expired) or attempt.amount > payable_now(
                session, attempt.account_id, target=attempt.target, excluding=attempt.id):
            return 'This payment is no longer needed or the amount changed. Nothing was charged; start again.'
    return ''
