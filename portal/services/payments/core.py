"""Attempts and charging a saved method: the attempt and its idempotency key are stored before any
gateway call, so a double click, a second tab, a retry or a restart charges once.

One open attempt per account and target (the partial unique index): a second request for the same
target reuses it, and the gateway sees the same key again, which returns the same result.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.models import GatewayCustomer, GuarantorAccount, Payment, PaymentAttempt, SavedPaymentMethod
from portal.money import format_money
from portal.payments.gateway import CheckoutRequest, GatewayError, OffSessionCharge
from portal.payments.registry import gateway
from portal.services import ledger
from portal.services.errors import DomainError, NotFound, ValidationFailed
from portal.services.payments import tokens
from portal.services.payments.events import apply_intent_state

Status = Literal['succeeded', 'processing', 'failed', 'requires_action']
FINISHED = frozenset({'succeeded', 'failed', 'cancelled', 'expired'})
CHECKOUT_LIFETIME = timedelta(hours=25)  # a hosted checkout lives at most a day
IN_CHECKOUT = ('This payment is already under way on the secure payment page, perhaps in another window. '
               'Finish it there, or wait a few minutes and check your balance.')


@dataclass(frozen=True)
class ChargeOutcome:
    status: Status
    attempt_id: int
    payment_id: int | None
    message: str
    checkout_url: str | None = None


class AttemptChanged(ValidationFailed):
    """A key already stands for an open attempt of another amount or target: the caller needs a new key
    (the pay form's retry after a timeout, with the amount changed meanwhile)."""


CHANGED = 'The amount changed since you first pressed Continue. Check it and press Continue again.'


def _same_request(attempt: PaymentAttempt, *, target: str, amount: int) -> None:
    """A key reused for another payment must not charge the old one's amount."""
    if attempt.status == 'open' and (attempt.target, attempt.amount) != (target[:40], amount):
        raise AttemptChanged(CHANGED)


def new_key(prefix: str = 'pay') -> str:
    return f'{prefix}:{uuid.uuid4().hex}'


def payable(session: Session, account_id: int) -> int:
    """The most a patient may pay now: the balance less payments still processing."""
    return max(0, ledger.balance(session, account_id) - ledger.processing_payments(session, account_id))


def attempt_by_key(session: Session, idempotency_key: str) -> PaymentAttempt | None:
    return session.exec(select(PaymentAttempt).where(PaymentAttempt.idempotency_key == idempotency_key)).first()


def _open_for(session: Session, account_id: int, target: str) -> PaymentAttempt | None:
    return session.exec(select(PaymentAttempt).where(PaymentAttempt.account_id == account_id,
                                                     PaymentAttempt.target == target,
                                                     PaymentAttempt.status == 'open')).first()


def open_attempt(session: Session, *, account_id: int, target: str, amount: int, idempotency_key: str,
                 user_id: int | None = None, currency: str = 'USD') -> PaymentAttempt:
    """The attempt for this key, or the open one for this account and target, or a new one.

    An open attempt for another amount (the balance changed) is cancelled and replaced; a payment
    still made on it is recorded all the same when its event arrives.
    """
    found = attempt_by_key(session, idempotency_key)
    if found is not None:
        _same_request(found, target=target, amount=amount)
        return found
    current = _open_for(session, account_id, target)
    if current is not None and current.amount == amount:
        return current
    if current is not None:
        current.status, current.updated_at = 'cancelled', utcnow()
        session.flush()
    attempt = PaymentAttempt(account_id=account_id, user_id=user_id, target=target[:40], amount=amount,
                             currency=currency, idempotency_key=idempotency_key, gateway=gateway().name)
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:  # a concurrent request stored it first: use that one
        found = attempt_by_key(session, idempotency_key) or _open_for(session, account_id, target)
        if found is None:
            raise
        return found
    session.flush()
    return attempt


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
    if attempt.status == 'succeeded':
        status, message = 'succeeded', f'Payment of {amount} received. Thank you!'
    elif attempt.status == 'processing':
        status, message = 'processing', (f'Your payment of {amount} is processing. Bank payments take a few '
                                         'business days; your balance shows it as processing until then.')
    elif attempt.status == 'open' and checkout_url:
        status, message = 'requires_action', 'Your bank needs you to confirm this payment.'
    elif attempt.status == 'open':
        status, message = 'processing', 'We are still waiting to hear back about this payment.'
    else:
        status, message = 'failed', attempt.error_message or 'The payment did not go through. Nothing was charged.'
    return ChargeOutcome(status=status, attempt_id=attempt.id, payment_id=payment.id if payment else None,  # type: ignore[arg-type]
                         message=message, checkout_url=checkout_url)


def charge_saved_method(*, account_id: int, method_id: int, amount: int, target: str, idempotency_key: str,
                        description: str = '', user_id: int | None = None) -> ChargeOutcome:
    """Charge a saved method (autopay, or a patient's "pay with my saved card") exactly once per key.

    Opens its own sessions and holds no transaction during the gateway call.
    """
    chosen = gateway()
    with write_session() as session:
        attempt = attempt_by_key(session, idempotency_key)
        if attempt is not None and attempt.status in FINISHED | {'processing'}:
            return outcome_of(session, attempt)
        if attempt is not None:
            _same_request(attempt, target=target, amount=amount)
        method = session.get(SavedPaymentMethod, method_id)
        if method is None or method.account_id != account_id or method.removed_at is not None:
            raise ValidationFailed('That payment method is not available. Choose another one.')
        if method.gateway != chosen.name:
            raise ValidationFailed('That payment method can no longer be used. Please add it again.')
        if attempt is None:
            if not isinstance(amount, int) or amount <= 0:
                raise ValidationFailed('The amount must be more than zero.')
            most = payable(session, account_id)
            if amount > most:
                raise ValidationFailed(f'The most you can pay now is {format_money(most)}.')
            attempt = open_attempt(session, account_id=account_id, target=target, amount=amount,
                                   idempotency_key=idempotency_key, user_id=user_id)
        if attempt.status != 'open':
            return outcome_of(session, attempt)
        # the attempt is on a hosted checkout: the same request again gets its authentication checkout;
        # another (a second window, or back from the checkout page) closes that checkout before charging
        handed_over = attempt.id if attempt.gateway_session_id and attempt.idempotency_key == idempotency_key \
            else None
        on_checkout = attempt.gateway_session_id if handed_over is None else None
        charge = OffSessionCharge(idempotency_key=attempt.idempotency_key, customer_id=method.gateway_customer_id,
                                  method_id=method.gateway_method_id, amount=attempt.amount,
                                  currency=attempt.currency,
                                  description=description or f'{get_settings().practice_name} payment',
                                  metadata={'attempt_id': str(attempt.id), 'account_id': str(account_id)})
        attempt_id = attempt.id
    assert attempt_id is not None
    if handed_over is not None:
        url = authentication_checkout(attempt_id)
        with read_session() as session:
            return outcome_of(session, session.get(PaymentAttempt, attempt_id), checkout_url=url)  # type: ignore[arg-type]
    if on_checkout:
        if not _expire(on_checkout):  # it may have been paid just now: never charge twice
            raise ValidationFailed(IN_CHECKOUT)
        with write_session() as session:  # that checkout is closed: the attempt stands on this charge now
            attempt = session.get(PaymentAttempt, attempt_id)
            assert attempt is not None
            if attempt.gateway_session_id == on_checkout:
                attempt.gateway_session_id = attempt.gateway_intent_id = None
    close_replaced_checkouts(account_id)
    try:
        state = chosen.charge_off_session(charge)
    except GatewayError as error:
        with write_session() as session:
            attempt = session.get(PaymentAttempt, attempt_id)
            assert attempt is not None
            if not error.retryable and attempt.status == 'open':
                attempt.status, attempt.error_message, attempt.updated_at = 'failed', error.message[:300], utcnow()
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
            _expire(opened)
        return outcome
    url = authentication_checkout(attempt_id)
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        return outcome_of(session, attempt, checkout_url=url)


def done_url(attempt_id: int) -> str:
    return f'{get_settings().public_base_url}/pay/done?t={tokens.make("done", attempt_id)}'


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
        if attempt.status != 'open':
            raise DomainError('This payment was already made or is no longer needed. Nothing more was charged.')
        account_id, amount, currency, key = attempt.account_id, attempt.amount, attempt.currency, \
            attempt.idempotency_key
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
        success_url=done_url(attempt_id), cancel_url=f'{settings.public_base_url}/pay?cancelled=1',
        description=f'{settings.practice_name} payment', metadata=metadata, amount=amount, currency=currency,
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
    if previous and checkout.session_id != previous and not _expire(previous):
        # the attempt's other checkout (the authentication hand-off, or the reverse) was just paid or
        # cannot be closed: this one must not be offered as well
        _expire(checkout.session_id)
        raise DomainError(IN_CHECKOUT)
    with write_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        attempt.gateway_session_id = checkout.session_id
        if checkout.intent_id and not attempt.gateway_intent_id:
            attempt.gateway_intent_id = checkout.intent_id
    return checkout.url


def authentication_checkout(attempt_id: int) -> str:
    """The bank asked for authentication on an off-session charge: the patient finishes in Checkout
    (its own key: a checkout this attempt had before was closed for the charge)."""
    return checkout_for_attempt(attempt_id, key_suffix='authenticate')


def _expire(session_id: str) -> bool:
    """Close a hosted checkout; True when it can no longer take a payment (closed now or before)."""
    chosen = gateway()
    try:
        chosen.expire_checkout(session_id)
        return True
    except GatewayError:
        try:
            return chosen.fetch_checkout(session_id).status == 'expired'
        except GatewayError:
            return False


def close_replaced_checkouts(account_id: int | None, *, attempt_id: int | None = None) -> None:
    """Expire the hosted checkouts of attempts cancelled because a new one replaced them (the amount
    changed), so only one checkout can take the payment; such an attempt is then expired."""
    with read_session() as session:
        if account_id is None:
            account_id = session.exec(select(PaymentAttempt.account_id)
                                      .where(PaymentAttempt.id == attempt_id)).first()
        replaced = session.exec(select(PaymentAttempt.id, PaymentAttempt.gateway_session_id).where(
            PaymentAttempt.account_id == account_id, PaymentAttempt.status == 'cancelled',
            col(PaymentAttempt.gateway_session_id).is_not(None),
            PaymentAttempt.updated_at > utcnow() - CHECKOUT_LIFETIME)).all() if account_id else []
    for replaced_id, session_id in replaced:
        if session_id and _expire(session_id):
            with write_session() as session:
                attempt = session.get(PaymentAttempt, replaced_id)
                if attempt is not None and attempt.status == 'cancelled':
                    attempt.status, attempt.updated_at = 'expired', utcnow()


def still_payable(attempt_id: int | None) -> str:
    """'' when a hosted checkout may still take this attempt's payment; otherwise why not (another
    window already paid it, or the balance no longer allows it)."""
    if attempt_id is None:
        return ''
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        if attempt is None:
            return ''
        if attempt.status in ('succeeded', 'processing'):
            return 'This payment was already made in another window. Nothing more was charged.'
        if attempt.status in ('cancelled', 'expired') or attempt.amount > payable(session, attempt.account_id):
            return 'This payment is no longer needed or the amount changed. Nothing was charged; start again.'
    return ''
