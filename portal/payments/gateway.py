"""The PaymentGateway protocol and the plain dataclasses that cross it.

Amounts are int minor units. Every call that creates something at the gateway carries an
idempotency key the app stored before calling. Gateways never touch the database: they turn
calls into gateway requests, and verified webhooks or re-fetched intents into `GatewayEvent`s,
which `portal.services.payments` applies to the ledger (the one handler for every gateway).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

IntentStatus = Literal['succeeded', 'processing', 'requires_action', 'requires_payment_method', 'failed',
                       'canceled']
EventKind = Literal[
    'payment_succeeded',    # money arrived: post the payment (once, by intent id)
    'payment_processing',   # ACH submitted: pending, counts against what may still be paid
    'payment_failed',       # declined or ACH returned: the attempt fails, nothing posts (or the post reverses)
    'checkout_completed',   # a hosted checkout finished; links the session to its intent (and saved method)
    'refund_succeeded',
    'refund_failed',
    'dispute_opened',       # flags the account for staff
    'method_saved',         # a setup finished: store brand/last4/expiry/bank name, never a number
]


class GatewayError(Exception):
    """The gateway could not be reached or refused the call; `message` is safe to show."""

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class WebhookRejected(Exception):
    """Missing, bad or stale signature, or an unparseable body: answer 400 and change nothing."""


@dataclass(frozen=True)
class MethodDetails:
    gateway_method_id: str
    kind: str  # card, us_bank_account
    brand: str = ''
    last4: str = ''
    exp_month: int | None = None
    exp_year: int | None = None
    bank_name: str = ''


@dataclass(frozen=True)
class CheckoutRequest:
    idempotency_key: str
    customer_id: str
    success_url: str  # the portal's own page; the ledger never moves on the redirect alone
    cancel_url: str
    description: str  # no PHI: practice name and receipt/attempt number only
    metadata: dict[str, str] = field(default_factory=dict)  # attempt_id, account_id
    amount: int = 0  # 0 with mode 'setup'
    currency: str = 'USD'
    mode: Literal['payment', 'setup'] = 'payment'
    save_method: bool = False  # the patient consented to keep the method for later (setup_future_usage)
    method_kinds: tuple[str, ...] = ('card', 'us_bank_account')


@dataclass(frozen=True)
class CheckoutSession:
    session_id: str
    url: str  # where to send the browser
    intent_id: str | None = None


@dataclass(frozen=True)
class OffSessionCharge:
    idempotency_key: str
    customer_id: str
    method_id: str
    amount: int
    currency: str
    description: str
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class IntentState:
    intent_id: str
    status: IntentStatus
    amount: int
    currency: str
    method: MethodDetails | None = None
    failure_message: str = ''  # safe to show: "Your card was declined."
    next_action_url: str | None = None  # requires_action: send the patient here to authenticate
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckoutState:
    """A hosted checkout as the gateway sees it now. Stripe creates a Checkout Session's PaymentIntent
    only when the payer submits, so `intent` is None until then (and the attempt has no intent id)."""
    session_id: str
    status: Literal['open', 'complete', 'expired']
    intent: IntentState | None = None


@dataclass(frozen=True)
class RefundResult:
    refund_id: str
    status: Literal['succeeded', 'pending', 'failed']
    amount: int


@dataclass(frozen=True)
class GatewayEvent:
    event_id: str  # unique per gateway; stored once in webhook_event
    kind: EventKind
    intent_id: str | None = None
    session_id: str | None = None
    refund_id: str | None = None
    amount: int | None = None
    currency: str = 'USD'
    method: MethodDetails | None = None
    customer_id: str | None = None
    failure_message: str = ''
    metadata: dict[str, str] = field(default_factory=dict)
    created: int = 0  # gateway timestamp (seconds), for ordering; handlers must not rely on arrival order


class PaymentGateway(Protocol):
    name: str  # 'stripe' or 'demo'; stored on attempts, payments and saved methods

    def ensure_customer(self, *, idempotency_key: str, account_number: str) -> str:
        """The gateway customer for an account (create once; the key makes a retry return the same one)."""

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession: ...

    def charge_off_session(self, charge: OffSessionCharge) -> IntentState:
        """Charge a saved method with nobody present. requires_action means: send the patient to checkout."""

    def fetch_intent(self, intent_id: str) -> IntentState: ...

    def fetch_checkout(self, session_id: str) -> CheckoutState:
        """A checkout and its payment's intent (if any yet): for attempts that have no intent id stored."""

    def expire_checkout(self, session_id: str) -> None:
        """Close a checkout still open so it can no longer take a payment (an open one only)."""

    def refund(self, *, idempotency_key: str, intent_id: str, amount: int, reason: str) -> RefundResult: ...

    def detach_method(self, method_id: str) -> None: ...

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> list[GatewayEvent]:
        """Verify the signature on the raw body and translate; raises WebhookRejected."""
