"""StripeGateway: the only module that imports stripe. The API version is pinned here.

Hosted Checkout Sessions (card, which brings the wallets, and ACH us_bank_account) for paying and for
saving a method (setup mode, or setup_future_usage when the patient agreed to keep it), off-session
PaymentIntents for saved methods, refunds, and webhooks verified on the raw body. Every create call
carries the idempotency key the app stored before calling. Amounts cross in minor units as they are.
"""
from __future__ import annotations

import json
from typing import Any

import stripe

from portal.payments import stripe_events
from portal.payments.gateway import (
    CheckoutRequest,
    CheckoutSession,
    CheckoutState,
    GatewayError,
    GatewayEvent,
    IntentState,
    OffSessionCharge,
    RefundResult,
    WebhookRejected,
)

API_VERSION = '2026-10-28.endive'  # pinned: upgrade deliberately, with the translation tests
WEBHOOK_TOLERANCE_SECONDS = 300
STRIPE_REFUND_REASONS = frozenset({'duplicate', 'fraudulent', 'requested_by_customer'})


def _plain(obj: Any) -> Any:  # noqa: ANN401
    """A StripeObject as plain dicts and lists."""
    to_dict = getattr(obj, 'to_dict', None)
    return to_dict() if callable(to_dict) else obj


class StripeGateway:
    name = 'stripe'

    def __init__(self, *, secret_key: str, webhook_secret: str = '', api_base: str = '',
                 http_client: Any = None) -> None:  # noqa: ANN401
        options: dict[str, Any] = {'stripe_version': API_VERSION, 'max_network_retries': 2}
        if api_base:
            options['base_addresses'] = {'api': api_base.rstrip('/')}
        if http_client is not None:
            options['http_client'] = http_client
        self.client = stripe.StripeClient(secret_key, **options)
        self.webhook_secret = webhook_secret
        # a local Stripe-compatible server (localstripe) answers 400 to optional parameters it does not
        # know: a PaymentIntent's description and a refund's reason are left out there
        self.local = bool(api_base)

    # -- calls -----------------------------------------------------------------------------------
    def ensure_customer(self, *, idempotency_key: str, account_number: str) -> str:
        customer = self._call(self.client.v1.customers.create,
                              {'metadata': {'account_number': account_number}}, idempotency_key)
        return customer.id

    def checkout_params(self, request: CheckoutRequest) -> dict[str, Any]:
        """The documented Checkout Session parameters for a request (no card data ever crosses here)."""
        params: dict[str, Any] = {
            'mode': request.mode, 'customer': request.customer_id,
            'success_url': request.success_url, 'cancel_url': request.cancel_url,
            # card brings Apple Pay and Google Pay in Checkout; us_bank_account is ACH
            'allowed_payment_method_types': list(request.method_kinds),
            'metadata': dict(request.metadata),
        }
        if request.metadata.get('attempt_id'):
            params['client_reference_id'] = request.metadata['attempt_id']
        if request.mode == 'setup':
            params['currency'] = request.currency.lower()
            params['setup_intent_data'] = {'metadata': dict(request.metadata), 'description': request.description}
            return params
        intent_data: dict[str, Any] = {'metadata': dict(request.metadata), 'description': request.description}
        if request.save_method:  # the patient ticked "keep this method for later payments"
            intent_data['setup_future_usage'] = 'off_session'
        params['payment_intent_data'] = intent_data
        params['line_items'] = [{'quantity': 1, 'price_data': {
            'currency': request.currency.lower(), 'unit_amount': request.amount,
            'product_data': {'name': request.description}}}]
        return params

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        session = self._call(self.client.v1.checkout.sessions.create, self.checkout_params(request),
                             request.idempotency_key)
        intent = getattr(session, 'payment_intent', None)
        return CheckoutSession(session_id=session.id, url=session.url, intent_id=getattr(intent, 'id', intent))

    def charge_off_session(self, charge: OffSessionCharge) -> IntentState:
        params = {'amount': charge.amount, 'currency': charge.currency.lower(), 'customer': charge.customer_id,
                  'payment_method': charge.method_id, 'off_session': True, 'confirm': True,
                  'metadata': dict(charge.metadata)}
        if not self.local:
            params['description'] = charge.description
        try:
            intent = self.client.v1.payment_intents.create(params, {'idempotency_key': charge.idempotency_key})
        except stripe.CardError as error:
            intent = getattr(error.error, 'payment_intent', None) if error.error else None
            declined = _plain(intent) or {}
            status = 'requires_action' if error.code == 'authentication_required' else 'failed'
            return IntentState(intent_id=declined.get('id', ''), status=status, amount=charge.amount,
                               currency=charge.currency, metadata=dict(charge.metadata),
                               failure_message=_card_message(error))
        except stripe.StripeError as error:
            raise _gateway_error(error) from None
        return self._state(_plain(intent))

    def fetch_intent(self, intent_id: str) -> IntentState:
        intent = self._call(self.client.v1.payment_intents.retrieve, None, None, intent_id)
        return self._state(_plain(intent))

    def fetch_checkout(self, session_id: str) -> CheckoutState:
        session = _plain(self._call(self.client.v1.checkout.sessions.retrieve,
                                    {'expand': ['payment_intent', 'payment_intent.payment_method']}, None,
                                    session_id))
        intent = session.get('payment_intent')
        if isinstance(intent, str):  # not expanded (an older API or a proxy): fetch it
            intent = _plain(self._call(self.client.v1.payment_intents.retrieve, None, None, intent))
        status = session.get('status') if session.get('status') in ('open', 'complete', 'expired') else 'open'
        return CheckoutState(session_id=session['id'], status=status,
                             intent=self._state(intent) if isinstance(intent, dict) and intent.get('id') else None)

    def expire_checkout(self, session_id: str) -> None:
        self._call(self.client.v1.checkout.sessions.expire, None, None, session_id)

    def refund(self, *, idempotency_key: str, intent_id: str, amount: int, reason: str) -> RefundResult:
        params: dict[str, Any] = {'payment_intent': intent_id, 'amount': amount}
        if not self.local:
            # Stripe takes one of three reasons; the staff's own words stay in our database
            params['reason'] = reason if reason in STRIPE_REFUND_REASONS else 'requested_by_customer'
        refund = self._call(self.client.v1.refunds.create, params, idempotency_key)
        status = {'succeeded': 'succeeded', 'pending': 'pending'}.get(refund.status, 'failed')
        return RefundResult(refund_id=refund.id, status=status, amount=refund.amount)  # type: ignore[arg-type]

    def detach_method(self, method_id: str) -> None:
        self._call(self.client.v1.payment_methods.detach, None, None, method_id)

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> list[GatewayEvent]:
        if not self.webhook_secret or not signature_header:
            raise WebhookRejected('missing signature or webhook secret')
        try:
            stripe.WebhookSignature.verify_header(payload.decode('utf-8'), signature_header, self.webhook_secret,
                                                  WEBHOOK_TOLERANCE_SECONDS)
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError):
            raise WebhookRejected('bad signature or body') from None
        if not isinstance(event, dict):
            raise WebhookRejected('not an event')
        return stripe_events.translate(event) + self._saved_methods(event)

    def _saved_methods(self, event: dict[str, Any]) -> list[GatewayEvent]:
        """Stripe's events name a payment method by id: when one was saved (setup mode, or a payment
        with setup_future_usage), fetch its brand, last 4, expiry or bank name for a method_saved event."""
        obj = (event.get('data') or {}).get('object') or {}
        kind, method_id = event.get('type'), None
        if kind == 'setup_intent.succeeded' or (kind == 'payment_intent.succeeded' and obj.get('setup_future_usage')):
            method_id = obj.get('payment_method')
        elif kind == 'checkout.session.completed' and obj.get('mode') == 'setup' and obj.get('setup_intent'):
            setup = self._call(self.client.v1.setup_intents.retrieve, None, None, str(obj['setup_intent']))
            method_id = getattr(setup, 'payment_method', None)
        if not isinstance(method_id, str) or not method_id:
            return []  # none saved, or already expanded (translated above)
        method = stripe_events.method_details(_plain(self._call(self.client.v1.payment_methods.retrieve,
                                                                None, None, method_id)))
        if method is None:
            return []
        customer = obj.get('customer')
        return [GatewayEvent(event_id=f'{event.get("id")}:method', kind='method_saved', method=method,
                             customer_id=customer if isinstance(customer, str) else None,
                             metadata={str(k): str(v) for k, v in (obj.get('metadata') or {}).items()},
                             created=int(event.get('created') or 0))]

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _call(method: Any, params: dict[str, Any] | None, idempotency_key: str | None, *args: Any) -> Any:  # noqa: ANN401
        options = {'idempotency_key': idempotency_key} if idempotency_key else {}
        try:
            if params is None:
                return method(*args, options=options) if options else method(*args)
            return method(*args, params, options) if args else method(params, options)
        except stripe.StripeError as error:
            raise _gateway_error(error) from None

    @staticmethod
    def _state(intent: dict[str, Any]) -> IntentState:
        status = intent.get('status') or 'failed'
        error = intent.get('last_payment_error') or {}
        if status == 'requires_payment_method' and error:
            status = 'failed'
        elif status in ('requires_confirmation', 'requires_capture'):
            status = 'processing'
        method = stripe_events.method_details(intent.get('payment_method')) \
            if isinstance(intent.get('payment_method'), dict) else None
        return IntentState(intent_id=intent['id'], status=status, amount=int(intent.get('amount') or 0),
                           currency=str(intent.get('currency') or 'usd').upper(), method=method,
                           failure_message=str(error.get('message') or '') if error else '',
                           next_action_url=((intent.get('next_action') or {}).get('redirect_to_url') or {}).get('url'),
                           metadata={str(k): str(v) for k, v in (intent.get('metadata') or {}).items()})


def _card_message(error: Any) -> str:  # noqa: ANN401
    if getattr(error, 'code', '') == 'authentication_required':
        return 'Your bank needs you to confirm this payment.'
    return 'Your card was declined. Nothing was charged.'


def _gateway_error(error: Any) -> GatewayError:  # noqa: ANN401
    # IdempotencyError: the same key is still in flight (a double submit): the first call decides
    retryable = isinstance(error, stripe.APIConnectionError | stripe.RateLimitError | stripe.IdempotencyError) or \
        (getattr(error, 'http_status', None) or 0) >= 500
    if retryable:
        return GatewayError('We could not reach the payment processor. Nothing was charged; please try again.',
                            retryable=True)
    return GatewayError('The payment processor refused the request. Nothing was charged.')
