"""Translate Stripe event objects (plain dicts, as delivered to the webhook) into GatewayEvents.

No SDK here: the StripeGateway and the DemoGateway (for signed test deliveries) share it. Events we
do not act on translate to nothing and are still stored once, so a retry is answered 200.
"""
from __future__ import annotations

from typing import Any

from portal.payments.gateway import GatewayEvent, MethodDetails

HANDLED = frozenset({
    'payment_intent.succeeded', 'payment_intent.processing', 'payment_intent.payment_failed',
    'checkout.session.completed', 'checkout.session.async_payment_succeeded',
    'checkout.session.async_payment_failed', 'charge.refunded', 'refund.updated', 'refund.created',
    'charge.dispute.created', 'setup_intent.succeeded',
})


def _meta(obj: dict[str, Any]) -> dict[str, str]:
    return {str(key): str(value) for key, value in (obj.get('metadata') or {}).items()}


def _id(value: Any) -> str | None:  # noqa: ANN401  (an expandable field: an id or the object)
    if isinstance(value, dict):
        return value.get('id')
    return value or None


def method_details(method: dict[str, Any] | None) -> MethodDetails | None:
    if not isinstance(method, dict) or not method.get('id'):
        return None
    kind = method.get('type') or 'card'
    if kind == 'us_bank_account':
        bank = method.get('us_bank_account') or {}
        return MethodDetails(gateway_method_id=method['id'], kind=kind, last4=str(bank.get('last4') or ''),
                             bank_name=str(bank.get('bank_name') or ''))
    card = method.get('card') or {}
    return MethodDetails(gateway_method_id=method['id'], kind='card', brand=str(card.get('brand') or ''),
                         last4=str(card.get('last4') or ''), exp_month=card.get('exp_month'),
                         exp_year=card.get('exp_year'))


def _failure(intent: dict[str, Any]) -> str:
    error = intent.get('last_payment_error') or {}
    return str(error.get('message') or 'The payment did not go through.')[:300]


def translate(event: dict[str, Any]) -> list[GatewayEvent]:
    kind, created, event_id = event.get('type', ''), int(event.get('created') or 0), str(event.get('id') or '')
    obj: dict[str, Any] = (event.get('data') or {}).get('object') or {}
    common = {'created': created, 'currency': str(obj.get('currency') or 'usd').upper()}
    if kind.startswith('payment_intent.'):
        method = method_details(obj.get('payment_method') if isinstance(obj.get('payment_method'), dict) else None)
        mapped = {'payment_intent.succeeded': 'payment_succeeded', 'payment_intent.processing': 'payment_processing',
                  'payment_intent.payment_failed': 'payment_failed'}.get(kind)
        if mapped is None:
            return []
        return [GatewayEvent(event_id=event_id, kind=mapped, intent_id=obj.get('id'),  # type: ignore[arg-type]
                             amount=obj.get('amount'), customer_id=_id(obj.get('customer')), method=method,
                             failure_message=_failure(obj) if mapped == 'payment_failed' else '',
                             metadata=_meta(obj), **common)]
    if kind.startswith('checkout.session.'):
        intent_id, session_id = _id(obj.get('payment_intent')), obj.get('id')
        shared = {'intent_id': intent_id, 'session_id': session_id, 'amount': obj.get('amount_total'),
                  'customer_id': _id(obj.get('customer')), 'metadata': _meta(obj), **common}
        events = [GatewayEvent(event_id=event_id, kind='checkout_completed', **shared)]
        if kind == 'checkout.session.completed' and obj.get('mode') == 'payment' and intent_id:
            paid = obj.get('payment_status') == 'paid'
            events.append(GatewayEvent(event_id=f'{event_id}:pay', **shared,
                                       kind='payment_succeeded' if paid else 'payment_processing'))
        elif kind == 'checkout.session.async_payment_succeeded':
            events = [GatewayEvent(event_id=event_id, kind='payment_succeeded', **shared)]
        elif kind == 'checkout.session.async_payment_failed':
            events = [GatewayEvent(event_id=event_id, kind='payment_failed', **shared,
                                   failure_message='The bank did not accept the payment.')]
        return events
    if kind == 'setup_intent.succeeded':
        method = method_details(obj.get('payment_method') if isinstance(obj.get('payment_method'), dict) else None)
        if method is None:
            return []
        return [GatewayEvent(event_id=event_id, kind='method_saved', method=method,
                             customer_id=_id(obj.get('customer')), metadata=_meta(obj), created=created)]
    if kind == 'charge.refunded':
        refunds = ((obj.get('refunds') or {}).get('data')) or []
        return [GatewayEvent(event_id=f'{event_id}:{refund.get("id")}', kind='refund_succeeded',
                             intent_id=_id(obj.get('payment_intent')), refund_id=refund.get('id'),
                             amount=refund.get('amount'), metadata=_meta(refund), **common)
                for refund in refunds if refund.get('status') in ('succeeded', None)]
    if kind in ('refund.updated', 'refund.created'):
        status = obj.get('status')
        if status not in ('succeeded', 'failed', 'canceled'):
            return []
        return [GatewayEvent(event_id=event_id, kind='refund_succeeded' if status == 'succeeded' else 'refund_failed',
                             intent_id=_id(obj.get('payment_intent')), refund_id=obj.get('id'),
                             amount=obj.get('amount'), metadata=_meta(obj), **common)]
    if kind == 'charge.dispute.created':
        return [GatewayEvent(event_id=event_id, kind='dispute_opened', intent_id=_id(obj.get('payment_intent')),
                             amount=obj.get('amount'), metadata={'dispute_id': str(obj.get('id') or ''),
                                                                 'reason': str(obj.get('reason') or '')},
                             **common)]
    return []
