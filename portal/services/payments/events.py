"""The one handler for what gateways report: webhooks, the demo checkout and re-fetched intents.

Every movement is keyed: a payment posts to the ledger once by its intent id, a refund once by its
refund id, and each event id is stored once. Events may arrive twice or out of order: a succeeded
payment stays succeeded, and an older event never undoes a newer one (attempt.last_event_at).
The handlers live in payment_events and refund_events; deliveries queues and batches what arrives.
"""
from __future__ import annotations

import time

from sqlalchemy import bindparam, insert
from sqlmodel import Session, select

from portal.clock import utcnow
from portal.models import WebhookEvent
from portal.payments.gateway import GatewayEvent, IntentState
from portal.services.payments.payment_events import (
    on_checkout_completed,
    on_method_saved,
    on_payment_failed,
    on_payment_processing,
    on_payment_succeeded,
)
from portal.services.payments.refund_events import on_dispute_opened, on_refund_failed, on_refund_succeeded


def record_and_apply(session: Session, /, event: GatewayEvent, *, gateway_name: str) -> str:
    """Apply an event not seen before and store its id (unique) in the same transaction, so a second
    delivery racing this one fails on that insert (IntegrityError) and, rolled back, changes nothing."""
    event_id = event.event_id[:255]
    if session.connection().execute(_EVENT_SEEN, {'event_id': event_id}).first() is not None:
        return 'duplicate'
    outcome = apply_event(session, event)
    session.connection().execute(_INSERT_EVENT, {
        'gateway': gateway_name, 'event_id': event_id, 'type': event.kind, 'received_at': utcnow(),
        'processed_at': utcnow(), 'outcome': outcome[:200]})
    return outcome


# statements on the webhook path are built once (building one costs more than running it on SQLite)
_EVENT_SEEN = select(WebhookEvent.id).where(WebhookEvent.event_id == bindparam('event_id'))
_INSERT_EVENT = insert(WebhookEvent)


def apply_event(session: Session, /, event: GatewayEvent) -> str:
    handler = HANDLERS.get(event.kind)
    return handler(session, event) if handler else 'ignored'


def apply_intent_state(session: Session, /, state: IntentState, *, attempt_id: int | None = None) -> str:
    """A re-fetched (or just returned) intent, applied like the event it amounts to; it is the newest news."""
    kind = {'succeeded': 'payment_succeeded', 'processing': 'payment_processing', 'failed': 'payment_failed',
            'requires_payment_method': 'payment_failed', 'canceled': 'payment_failed'}.get(state.status)
    if kind is None:
        return 'pending'
    metadata = dict(state.metadata)
    if attempt_id is not None:
        metadata['attempt_id'] = str(attempt_id)
    return apply_event(session, GatewayEvent(
        event_id='', kind=kind, intent_id=state.intent_id, amount=state.amount, currency=state.currency,  # type: ignore[arg-type]
        method=state.method, failure_message=state.failure_message, metadata=metadata, created=int(time.time())))


HANDLERS = {
    'payment_succeeded': on_payment_succeeded,
    'payment_processing': on_payment_processing,
    'payment_failed': on_payment_failed,
    'checkout_completed': on_checkout_completed,
    'method_saved': on_method_saved,
    'refund_succeeded': on_refund_succeeded,
    'refund_failed': on_refund_failed,
    'dispute_opened': on_dispute_opened,
}

