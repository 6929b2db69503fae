"""DemoGateway: a stand-in for Stripe when PAYMENTS=demo (the default outside production).

It keeps its objects in memory and honours idempotency keys as Stripe does (the same key returns the
same customer, session, intent or refund; ids are derived from the key, so a retry after a crash
finds the same intent). Its hosted checkout page (pages/demo_checkout.py) accepts only Stripe's
test numbers and a test bank account; this module never stores or logs a number, only which test
behaviour it stood for. Results come back as GatewayEvents for the one handler in
portal.services.payments, exactly like Stripe's webhooks.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field, replace

from portal.payments import signatures, stripe_events
from portal.payments.gateway import (
    CheckoutRequest,
    CheckoutSession,
    CheckoutState,
    GatewayError,
    GatewayEvent,
    IntentState,
    MethodDetails,
    OffSessionCharge,
    RefundResult,
    WebhookRejected,
)

# digits only -> (behaviour, brand, last4); nothing else is accepted
TEST_CARDS = {
    '4242424242424242': ('succeed', 'visa', '4242'),
    '4000000000000002': ('decline', 'visa', '0002'),
    '4000002760003184': ('authenticate', 'visa', '3184'),
}
TEST_BANK = ('110000000', '000123456789')
DECLINED = 'Your card was declined. Nothing was charged. Try another card or pay by bank account.'
ACH_SETTLE_SECONDS = 60  # a demo bank payment settles when fetched this long after it was made


def _derive(prefix: str, key: str) -> str:
    return f'{prefix}_demo_{hashlib.sha256(key.encode()).hexdigest()[:24]}'


def method_behaviour(method_id: str) -> str:
    """pm_demo_<behaviour>_<hex>; seeded cards (pm_demo_<hex>) behave like 4242."""
    parts = method_id.split('_')
    return parts[2] if len(parts) >= 4 and parts[2] in {'succeed', 'decline', 'authenticate', 'bank'} else 'succeed'


def new_method_id(behaviour: str) -> str:
    return f'pm_demo_{behaviour}_{secrets.token_hex(8)}'


@dataclass
class _Intent:
    intent_id: str
    amount: int
    currency: str
    status: str
    metadata: dict[str, str]
    customer_id: str
    method: MethodDetails | None = None
    failure_message: str = ''
    settle_at: float | None = None
    refunded: int = 0


@dataclass
class _Session:
    request: CheckoutRequest
    session_id: str
    intent_id: str | None
    state: str = 'open'  # open, authenticating, complete, expired
    pending_card: tuple[str, str, int | None, int | None] | None = None  # behaviour, last4, month, year
    events: list[GatewayEvent] = field(default_factory=list)


@dataclass(frozen=True)
class DemoResult:
    """What the demo checkout page shows next, and the events to feed the handler."""
    state: str  # succeeded, processing, declined, authenticate, saved, failed, invalid
    message: str = ''
    events: tuple[GatewayEvent, ...] = ()


class DemoGateway:
    name = 'demo'

    def __init__(self, *, base_url: str, webhook_secret: str = '') -> None:
        self.base_url = base_url.rstrip('/')
        self.webhook_secret = webhook_secret
        self._lock = threading.RLock()
        self._intents: dict[str, _Intent] = {}
        self._sessions: dict[str, _Session] = {}
        self._refunds: dict[str, RefundResult] = {}
        self._detached: set[str] = set()
        self.calls: dict[str, int] = {}  # how often each operation ran (tests count charges)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    # -- the PaymentGateway protocol ---------------------------------------------------------
    def ensure_customer(self, *, idempotency_key: str, account_number: str) -> str:
        return _derive('cus', idempotency_key)

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session_id = _derive('cs', request.idempotency_key)
        with self._lock:
            existing = self._sessions.get(session_id)
            if existing is None:
                self._count('start_checkout')
                intent_id = _derive('pi', request.idempotency_key) if request.mode == 'payment' else None
                existing = self._sessions[session_id] = _Session(request=request, session_id=session_id,
                                                                 intent_id=intent_id)
        return CheckoutSession(session_id=session_id, url=f'{self.base_url}/demo-checkout/{session_id}',
                               intent_id=existing.intent_id)

    def charge_off_session(self, charge: OffSessionCharge) -> IntentState:
        intent_id = _derive('pi', charge.idempotency_key)
        with self._lock:
            intent = self._intents.get(intent_id)
            if intent is None:
                if charge.method_id in self._detached:
                    raise GatewayError('That payment method was removed.')
                self._count('charge')
                behaviour = method_behaviour(charge.method_id)
                status = {'succeed': 'succeeded', 'decline': 'failed', 'authenticate': 'requires_action',
                          'bank': 'processing'}[behaviour]
                kind = 'us_bank_account' if behaviour == 'bank' else 'card'
                intent = self._intents[intent_id] = _Intent(
                    intent_id=intent_id, amount=charge.amount, currency=charge.currency, status=status,
                    metadata=dict(charge.metadata), customer_id=charge.customer_id,
                    method=MethodDetails(gateway_method_id=charge.method_id, kind=kind),
                    failure_message='Your card was declined.' if status == 'failed' else '',
                    settle_at=time.time() + ACH_SETTLE_SECONDS if status == 'processing' else None)
            return self._state(intent)

    def fetch_intent(self, intent_id: str) -> IntentState:
        with self._lock:
            intent = self._intents.get(intent_id)
            if intent is None:
                raise GatewayError('No such payment.')
            if intent.status == 'processing' and intent.settle_at is not None and time.time() >= intent.settle_at:
                intent.status = 'succeeded'
            return self._state(intent)

    def fetch_checkout(self, session_id: str) -> CheckoutState:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                raise GatewayError('No such checkout.')
            status = {'complete': 'complete', 'expired': 'expired'}.get(session.state, 'open')
            intent = self._intents.get(session.intent_id) if session.intent_id else None
        return CheckoutState(session_id=session_id, status=status,  # type: ignore[arg-type]
                             intent=self.fetch_intent(intent.intent_id) if intent else None)

    def expire_checkout(self, session_id: str) -> None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None and session.state == 'complete':  # as Stripe: only an open one expires
                raise GatewayError('This checkout is finished.')
            if session is not None:
                self._count('expire_checkout')
                session.state, session.pending_card = 'expired', None

    def refund(self, *, idempotency_key: str, intent_id: str, amount: int, reason: str) -> RefundResult:
        with self._lock:
            if idempotency_key in self._refunds:
                return self._refunds[idempotency_key]
            intent = self._intents.get(intent_id)
            if intent is None or intent.status != 'succeeded':
                raise GatewayError('Only a completed payment can be refunded.')
            if amount <= 0 or amount > intent.amount - intent.refunded:
                raise GatewayError('That is more than is left to refund on this payment.')
            self._count('refund')
            intent.refunded += amount
            result = self._refunds[idempotency_key] = RefundResult(
                refund_id=_derive('re', idempotency_key), status='succeeded', amount=amount)
            return result

    def detach_method(self, method_id: str) -> None:
        with self._lock:
            self._detached.add(method_id)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> list[GatewayEvent]:
        """Stripe-shaped deliveries signed with PORTAL_STRIPE_WEBHOOK_SECRET (tests, benchmarks)."""
        signatures.verify(payload, signature_header, self.webhook_secret)
        try:
            event = json.loads(payload)
        except ValueError:
            raise WebhookRejected('the body is not JSON') from None
        if not isinstance(event, dict) or not str(event.get('id', '')).startswith('evt_'):
            raise WebhookRejected('not an event')
        return stripe_events.translate(event)

    # -- the hosted checkout page ------------------------------------------------------------
    def checkout_request(self, session_id: str) -> CheckoutRequest | None:
        with self._lock:
            found = self._sessions.get(session_id)
            return found.request if found else None

    def checkout_state(self, session_id: str) -> str | None:
        with self._lock:
            found = self._sessions.get(session_id)
            return found.state if found else None

    def submit_card(self, session_id: str, number: str, *, exp_month: int | None = None,
                    exp_year: int | None = None) -> DemoResult:
        digits = ''.join(ch for ch in number if ch.isdigit())
        card = TEST_CARDS.get(digits) if len(digits) == len(number.replace(' ', '')) else None
        del number, digits  # never kept
        if card is None:
            return DemoResult('invalid', 'This demo accepts only the test card numbers listed on this page.')
        behaviour, brand, last4 = card
        with self._lock:
            session = self._open_session(session_id)
            if behaviour == 'decline':
                return DemoResult('declined', DECLINED)
            if behaviour == 'authenticate':
                session.state = 'authenticating'
                session.pending_card = (behaviour, last4, exp_month, exp_year)
                return DemoResult('authenticate', 'Your bank asks you to confirm this payment.')
            method = MethodDetails(gateway_method_id=new_method_id('succeed'), kind='card', brand=brand,
                                   last4=last4, exp_month=exp_month, exp_year=exp_year)
            return self._complete(session, method, 'succeeded')

    def authenticate(self, session_id: str, *, approve: bool) -> DemoResult:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.state != 'authenticating' or session.pending_card is None:
                return DemoResult('invalid', 'This checkout has ended.')
            _, last4, month, year = session.pending_card
            session.pending_card, session.state = None, 'open'
            if not approve:
                return DemoResult('declined', 'The payment was not confirmed, so nothing was charged.')
            method = MethodDetails(gateway_method_id=new_method_id('authenticate'), kind='card', brand='visa',
                                   last4=last4, exp_month=month, exp_year=year)
            return self._complete(session, method, 'succeeded')

    def submit_bank(self, session_id: str, routing: str, account: str) -> DemoResult:
        if (routing.strip(), account.strip()) != TEST_BANK:
            return DemoResult('invalid', 'This demo accepts only the test bank account listed on this page.')
        with self._lock:
            session = self._open_session(session_id)
            method = MethodDetails(gateway_method_id=new_method_id('bank'), kind='us_bank_account',
                                   last4=TEST_BANK[1][-4:], bank_name='STRIPE TEST BANK')
            return self._complete(session, method, 'processing')

    def settle(self, intent_id: str) -> list[GatewayEvent]:
        """The demo bank pays out now (otherwise the reconciliation job settles it later)."""
        with self._lock:
            intent = self._intents.get(intent_id)
            if intent is None or intent.status != 'processing':
                return []
            intent.status = 'succeeded'
            return [GatewayEvent(event_id=f'evt_demo_{secrets.token_hex(12)}', kind='payment_succeeded',
                                 intent_id=intent_id, amount=intent.amount, currency=intent.currency,
                                 method=intent.method, customer_id=intent.customer_id,
                                 metadata=dict(intent.metadata), created=int(time.time()))]

    def _open_session(self, session_id: str) -> _Session:
        session = self._sessions.get(session_id)
        if session is None or session.state in ('complete', 'expired'):
            raise GatewayError('This checkout has ended.')
        return session

    def _complete(self, session: _Session, method: MethodDetails, status: str) -> DemoResult:
        request, now = session.request, int(time.time())
        base = {'session_id': session.session_id, 'customer_id': request.customer_id,
                'metadata': dict(request.metadata), 'created': now, 'currency': request.currency}
        events = [GatewayEvent(event_id=f'evt_demo_{secrets.token_hex(12)}', kind='checkout_completed',
                               intent_id=session.intent_id, amount=request.amount, **base)]
        if request.mode == 'setup' or request.save_method:
            events.append(GatewayEvent(event_id=f'evt_demo_{secrets.token_hex(12)}', kind='method_saved',
                                       method=method, **base))
        if request.mode == 'payment':
            assert session.intent_id is not None
            self._intents[session.intent_id] = _Intent(
                intent_id=session.intent_id, amount=request.amount, currency=request.currency, status=status,
                metadata=dict(request.metadata), customer_id=request.customer_id, method=method,
                settle_at=time.time() + ACH_SETTLE_SECONDS if status == 'processing' else None)
            events.append(GatewayEvent(event_id=f'evt_demo_{secrets.token_hex(12)}', intent_id=session.intent_id,
                                       kind='payment_succeeded' if status == 'succeeded' else 'payment_processing',
                                       amount=request.amount, method=method, **base))
        session.state = 'complete'
        session.events = events
        return DemoResult('saved' if request.mode == 'setup' else status, events=tuple(events))

    @staticmethod
    def _state(intent: _Intent) -> IntentState:
        return IntentState(intent_id=intent.intent_id, status=intent.status, amount=intent.amount,  # type: ignore[arg-type]
                           currency=intent.currency, method=intent.method, failure_message=intent.failure_message,
                           metadata=dict(intent.metadata))


__all__ = ['DemoGateway', 'DemoResult', 'TEST_BANK', 'TEST_CARDS', 'new_method_id', 'replace']
