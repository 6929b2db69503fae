"""Hosted checkouts: the one checkout of an attempt (opened, found again, or the authentication hand-off of
an off-session charge), the gateway customer it needs, the pay result page's URL, and whether a checkout
may still take its payment. Opens its own sessions; no transaction is held during a gateway call."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound
from portal.models import AttemptStatus, GatewayCustomer, GuarantorAccount, PaymentAttempt
from portal.payments.gateway import CheckoutRequest, GatewayError
from portal.payments.registry import gateway
from portal.services.payable import payable_now
from portal.services.payments import tokens
from portal.services.payments.attempts import close_replaced_checkouts, expire_checkout
from portal.services.practice import cached_practice

IN_CHECKOUT = ('This payment is already under way on the secure payment page, perhaps in another window. '
               'Finish it there, or wait a few minutes and check your balance.')
NO_LONGER_NEEDED = 'This payment was already made or is no longer needed. Nothing more was charged.'


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


def still_payable(*, attempt_id: int | None) -> str:
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
