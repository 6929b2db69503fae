"""The one handler for what gateways report: webhooks, the demo checkout and re-fetched intents.

Every movement is keyed: a payment posts to the ledger once by its intent id, a refund once by its
refund id, and each event id is stored once. Events may arrive twice or out of order: a succeeded
payment stays succeeded, and an older event never undoes a newer one (attempt.last_event_at).
"""
from __future__ import annotations

import contextlib
import logging
import secrets
import threading
import time

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.clock import practice_today, utcnow
from portal.db import write_session
from portal.models import (
    GatewayCustomer,
    LedgerKind,
    Payment,
    PaymentAttempt,
    SavedPaymentMethod,
    Statement,
    WebhookEvent,
)
from portal.payments.gateway import GatewayEvent, IntentState
from portal.services import ledger
from portal.services.payments.allocation import allocate
from portal.services.payments.receipts import receipt_email
from portal.services.payments.refund_events import on_dispute_opened, on_refund_failed, on_refund_succeeded

log = logging.getLogger(__name__)


_sqlite_writer = threading.Lock()


def _serialised():  # noqa: ANN202
    """On SQLite, one writer at a time in this process: waiting on a lock beats SQLite's busy handler,
    which sleeps and retries (a burst of webhooks would otherwise spend most of its time asleep)."""
    from portal.db import get_engine, is_sqlite
    return _sqlite_writer if is_sqlite(get_engine()) else contextlib.nullcontext()


def process_events(events: list[GatewayEvent], *, gateway_name: str) -> list[str]:
    """Store each event id once and apply it, each in its own transaction; return the outcomes."""
    outcomes = []
    for event in events:
        try:
            with _serialised(), write_session() as session:
                outcomes.append(record_and_apply(session, event, gateway_name=gateway_name))
        except IntegrityError:  # a concurrent delivery of the same event committed first: nothing to do
            outcomes.append('duplicate')
    return outcomes


def record_and_apply(session: Session, event: GatewayEvent, *, gateway_name: str) -> str:
    """Apply an event not seen before and store its id (unique) in the same transaction, so a second
    delivery racing this one fails at commit and changes nothing."""
    event_id = event.event_id[:255]
    if session.exec(select(WebhookEvent.id).where(WebhookEvent.event_id == event_id)).first() is not None:
        return 'duplicate'
    outcome = apply_event(session, event)
    session.add(WebhookEvent(gateway=gateway_name, event_id=event_id, type=event.kind, processed_at=utcnow(),
                             outcome=outcome[:200]))
    return outcome


def apply_event(session: Session, event: GatewayEvent) -> str:
    handler = HANDLERS.get(event.kind)
    return handler(session, event) if handler else 'ignored'


def apply_intent_state(session: Session, state: IntentState, *, attempt_id: int | None = None) -> str:
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


def _attempt(session: Session, event: GatewayEvent) -> PaymentAttempt | None:
    attempt_id = event.metadata.get('attempt_id', '')
    if attempt_id.isdigit():
        found = session.get(PaymentAttempt, int(attempt_id))
        # metadata is a hint: it must agree with what we stored (another database's attempt 7 is not ours)
        if found is not None and (not event.intent_id or found.gateway_intent_id in (None, event.intent_id)) \
                and event.metadata.get('account_id', str(found.account_id)) == str(found.account_id):
            return found
    if event.intent_id:
        found = session.exec(select(PaymentAttempt).where(PaymentAttempt.gateway_intent_id == event.intent_id)).first()
        if found is not None:
            return found
    if event.session_id:
        return session.exec(select(PaymentAttempt)
                            .where(PaymentAttempt.gateway_session_id == event.session_id)).first()
    return None


def _payment(session: Session, intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return session.exec(select(Payment).where(Payment.gateway_intent_id == intent_id)).first()


def _touch(attempt: PaymentAttempt, event: GatewayEvent, status: str | None = None) -> None:
    if status is not None:
        attempt.status = status
    if event.intent_id and not attempt.gateway_intent_id:
        attempt.gateway_intent_id = event.intent_id
    attempt.last_event_at = max(attempt.last_event_at or 0, event.created)
    attempt.updated_at = utcnow()


def _stale(attempt: PaymentAttempt | None, event: GatewayEvent) -> bool:
    return attempt is not None and event.created < (attempt.last_event_at or 0)


def new_receipt_number() -> str:
    return f'R{practice_today():%y%m%d}-{secrets.token_hex(3).upper()}'


def _new_payment(session: Session, event: GatewayEvent, attempt: PaymentAttempt | None, status: str) -> Payment | None:
    account_id = attempt.account_id if attempt else _int(event.metadata.get('account_id'))
    amount = event.amount if event.amount else (attempt.amount if attempt else 0)
    if account_id is None or not amount:
        return None
    saved = None
    if event.method is not None:
        saved = session.exec(select(SavedPaymentMethod.id)
                             .where(SavedPaymentMethod.gateway_method_id == event.method.gateway_method_id)).first()
    payment = Payment(account_id=account_id, attempt_id=attempt.id if attempt else None,
                      gateway_intent_id=event.intent_id, amount=int(amount), currency=event.currency,
                      method=event.method.kind if event.method else 'card', status=status,
                      receipt_number=new_receipt_number(), payer_user_id=attempt.user_id if attempt else None,
                      saved_method_id=saved, settled_at=utcnow() if status == 'succeeded' else None)
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
            allocate(session, payment=payment)
            session.flush()
    except IntegrityError:  # another delivery made it meanwhile
        return _payment(session, event.intent_id)
    return payment


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def on_payment_succeeded(session: Session, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    payment = _payment(session, event.intent_id) or _new_payment(session, event, attempt, 'succeeded')
    if payment is None:
        return 'ignored: unknown payment'
    if payment.status != 'succeeded':
        payment.status, payment.settled_at = 'succeeded', utcnow()
    _, created = ledger.post(session, account_id=payment.account_id, kind=LedgerKind.patient_payment,
                             amount=-payment.amount, external_ref=event.intent_id or f'payment:{payment.id}',
                             effective_date=practice_today(), currency=payment.currency, payment_id=payment.id)
    if attempt is not None:
        _touch(attempt, event, 'succeeded')
        attempt.error_message = ''
    if created:
        _mark_statements_paid(session, payment, attempt)
        receipt_email(session, payment)
    return 'posted' if created else 'already posted'


def _mark_statements_paid(session: Session, payment: Payment, attempt: PaymentAttempt | None) -> None:
    """A statement paid in full (or an account paid off) is paid: its quick-pay code stops working."""
    paid_off = ledger.balance(session, payment.account_id) <= 0
    chosen = None
    if attempt is not None and attempt.target.startswith('statement:'):
        chosen = _int(attempt.target.split(':', 1)[1])
    for statement in session.exec(select(Statement).where(Statement.account_id == payment.account_id,
                                                          col(Statement.paid_at).is_(None))).all():
        if paid_off or statement.id == chosen and payment.amount >= statement.amount_due:
            statement.paid_at = utcnow()


def on_payment_processing(session: Session, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    if attempt is not None and (attempt.status == 'succeeded' or _stale(attempt, event)):
        return 'stale'
    payment = _payment(session, event.intent_id)
    if payment is not None and payment.status == 'succeeded':
        return 'stale'
    if payment is None:
        payment = _new_payment(session, event, attempt, 'processing')
    elif payment.status == 'failed':
        payment.status = 'processing'
    if attempt is not None:
        _touch(attempt, event, 'processing')
    return 'processing' if payment else 'ignored: unknown payment'


def on_payment_failed(session: Session, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    payment = _payment(session, event.intent_id)
    if payment is not None and payment.status == 'succeeded' or attempt is not None and attempt.status == 'succeeded':
        return 'stale'
    if _stale(attempt, event):
        return 'stale'
    if attempt is not None and event.intent_id and attempt.gateway_intent_id != event.intent_id:
        # not the attempt's current intent: the off-session charge handed over to an authentication
        # checkout, or one try inside a checkout still open (the patient may try again there)
        attempt = None
        if payment is None:
            return 'superseded'
    if payment is not None:
        payment.status = 'failed'
    if attempt is not None:
        _touch(attempt, event, 'failed')
        attempt.error_message = (event.failure_message or 'The payment did not go through.')[:300]
    return 'failed'


def on_checkout_completed(session: Session, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    if attempt is None:
        return 'ignored: unknown checkout'
    if event.session_id and not attempt.gateway_session_id:
        attempt.gateway_session_id = event.session_id
    if event.intent_id and not attempt.gateway_intent_id:
        attempt.gateway_intent_id = event.intent_id
    if attempt.target == 'setup' and attempt.status == 'setup':
        attempt.status = 'succeeded'
    return 'linked'


def on_method_saved(session: Session, event: GatewayEvent) -> str:
    method = event.method
    if method is None:
        return 'ignored: no method'
    account_id = _int(event.metadata.get('account_id'))
    if account_id is None and event.customer_id:
        account_id = session.exec(select(GatewayCustomer.account_id)
                                  .where(GatewayCustomer.customer_id == event.customer_id)).first()
    if account_id is None:
        return 'ignored: unknown customer'
    existing = session.exec(select(SavedPaymentMethod)
                            .where(SavedPaymentMethod.gateway_method_id == method.gateway_method_id)).first()
    if existing is not None:
        return 'already saved'
    has_default = session.exec(select(SavedPaymentMethod.id).where(
        SavedPaymentMethod.account_id == account_id, col(SavedPaymentMethod.is_default),
        col(SavedPaymentMethod.removed_at).is_(None))).first() is not None
    from portal.payments.registry import gateway
    session.add(SavedPaymentMethod(
        account_id=account_id, user_id=_int(event.metadata.get('user_id')), gateway=gateway().name,
        gateway_customer_id=event.customer_id or '', gateway_method_id=method.gateway_method_id, kind=method.kind,
        brand=method.brand, last4=(method.last4 or '')[:4], exp_month=method.exp_month, exp_year=method.exp_year,
        bank_name=method.bank_name, is_default=not has_default))
    return 'saved'


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


def handle_webhook(payload: bytes, signature_header: str | None) -> list[str]:
    """Verify (raises WebhookRejected: answer 400, nothing changed), then store and apply each event once."""
    from portal.payments.registry import gateway
    chosen = gateway()
    events = chosen.parse_webhook(payload, signature_header)
    return process_events(events, gateway_name=chosen.name)
