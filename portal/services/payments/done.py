"""The result page of one payment attempt: its outcome from the ledger and the attempt (re-fetched from the
gateway while it is still open), with the receipt for its owner."""
from __future__ import annotations

from dataclasses import dataclass

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AttemptStatus, Payment, PaymentAttempt
from portal.payments.gateway import GatewayError
from portal.payments.registry import gateway
from portal.services import ledger
from portal.services.payments import tokens
from portal.services.payments.core import outcome_of
from portal.services.payments.events import apply_intent_state
from portal.services.payments.receipts import ReceiptView, receipt_view


@dataclass(frozen=True)
class DoneView:
    status: str  # succeeded, processing, failed, pending
    message: str
    amount: int
    currency: str
    attempt_id: int
    guest: bool  # a payment made without signing in: the page offers to email its receipt
    intent_id: str | None
    receipt: ReceiptView | None = None
    balance: int | None = None


def done_view(*, actor: Actor | None, token: str) -> DoneView | None:
    """The result page of one attempt, from the ledger and the attempt, never from the redirect alone.
    An attempt still open is re-fetched from the gateway first: its intent, or else its checkout."""
    attempt_id = tokens.read('done', token)
    if attempt_id is None:
        return None
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        if attempt is None:
            return None
        pending = attempt.status in (AttemptStatus.open, AttemptStatus.processing)
        pending_intent = attempt.gateway_intent_id if pending else None
        pending_checkout = attempt.gateway_session_id if pending else None
    state = None
    try:
        if pending_intent:
            state = gateway().fetch_intent(pending_intent)
        elif pending_checkout:  # Stripe Checkout makes its intent only at payment: ask the session
            state = gateway().fetch_checkout(pending_checkout).intent
    except GatewayError:
        state = None
    if state is not None:
        with write_session() as session:
            apply_intent_state(session, state, attempt_id=attempt_id)
    with write_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        assert attempt is not None
        outcome = outcome_of(session, attempt)
        status = 'pending' if attempt.status == AttemptStatus.open else outcome.status
        own = actor is not None and attempt.user_id == actor.user_id
        receipt, balance = None, None
        if own and outcome.payment_id:
            payment = session.get(Payment, outcome.payment_id)
            receipt = receipt_view(session, payment) if payment else None
            balance = ledger.balance(session, attempt.account_id)
        message = outcome.message if status != 'pending' else \
            'We are confirming your payment with the payment processor. This page updates by itself.'
        return DoneView(status=status, message=message, amount=attempt.amount, currency=attempt.currency,
                        attempt_id=attempt_id, guest=attempt.user_id is None, intent_id=attempt.gateway_intent_id,
                        receipt=receipt, balance=balance)

