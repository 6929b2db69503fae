"""What a gateway reports about a payment, a checkout or a saved method, applied to the attempt, the payment
and the ledger: each handler takes (session, GatewayEvent) and returns its outcome ('posted', 'stale', ...).

A payment posts to the ledger once by its intent id. Events may arrive twice or out of order: a succeeded
payment stays succeeded, and an older event never undoes a newer one (attempt.last_event_at).
"""
from __future__ import annotations

import secrets

from sqlalchemy import bindparam, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.db import insert_row, savepoint_for_statement
from portal.models import (
    AttemptStatus,
    GatewayCustomer,
    LedgerKind,
    Payment,
    PaymentAttempt,
    PaymentStatus,
    SavedPaymentMethod,
    Statement,
)
from portal.payments.gateway import GatewayEvent
from portal.services import ledger
from portal.services.attempt_targets import statement_of
from portal.services.money_moved import account_money_moved
from portal.services.payments.allocation import allocate
from portal.services.payments.receipts import receipt_email
from portal.services.practice import practice_today

# statements on the webhook path are built once (building one costs more than running it on SQLite)
_ATTEMPT_BY_INTENT = select(PaymentAttempt.id).where(PaymentAttempt.gateway_intent_id == bindparam('ref')).limit(1)
_ATTEMPT_BY_SESSION = select(PaymentAttempt.id).where(PaymentAttempt.gateway_session_id == bindparam('ref')).limit(1)
_PAYMENT_BY_INTENT = select(Payment.id).where(Payment.gateway_intent_id == bindparam('ref'))
_METHOD_BY_GATEWAY_ID = select(SavedPaymentMethod.id) \
    .where(SavedPaymentMethod.gateway_method_id == bindparam('ref')).limit(1)
_UNPAID_STATEMENTS = select(Statement.id, Statement.amount_due) \
    .where(Statement.account_id == bindparam('account_id'), col(Statement.paid_at).is_(None))


def _lookup(session: Session, statement, ref: str):  # noqa: ANN001, ANN202
    return session.connection().execute(statement, {'ref': ref}).scalar()



def _attempt(session: Session, event: GatewayEvent) -> PaymentAttempt | None:
    attempt_id = event.metadata.get('attempt_id', '')
    if attempt_id.isdigit():
        found = session.get(PaymentAttempt, int(attempt_id))
        # metadata is a hint: it must agree with what we stored (another database's attempt 7 is not ours)
        if found is not None and (not event.intent_id or found.gateway_intent_id in (None, event.intent_id)) \
                and event.metadata.get('account_id', str(found.account_id)) == str(found.account_id):
            return found
    session.flush()  # the lookups below bypass the session
    found_id = _lookup(session, _ATTEMPT_BY_INTENT, event.intent_id) if event.intent_id else None
    if found_id is None and event.session_id:
        found_id = _lookup(session, _ATTEMPT_BY_SESSION, event.session_id)
    return session.get(PaymentAttempt, found_id) if found_id is not None else None


def _payment(session: Session, intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    session.flush()
    found_id = _lookup(session, _PAYMENT_BY_INTENT, intent_id)
    return session.get(Payment, found_id) if found_id is not None else None


def _touch(attempt: PaymentAttempt, event: GatewayEvent, status: AttemptStatus | None = None) -> None:
    if status is not None:
        attempt.status = status
    if event.intent_id and not attempt.gateway_intent_id:
        attempt.gateway_intent_id = event.intent_id
    attempt.last_event_at = max(attempt.last_event_at or 0, event.created)
    attempt.updated_at = utcnow()


def _stale(attempt: PaymentAttempt | None, event: GatewayEvent) -> bool:
    return attempt is not None and event.created < (attempt.last_event_at or 0)


def new_receipt_number(session: Session, /) -> str:
    """R<yymmdd>-<10 hex digits>: 40 random bits a day, so even 100,000 payments in one day clash about
    once in 200 days (and a clash is drawn again)."""
    return f'R{practice_today(session):%y%m%d}-{secrets.token_hex(5).upper()}'


def _new_payment(session: Session, event: GatewayEvent, attempt: PaymentAttempt | None,
                 status: PaymentStatus) -> Payment | None:
    account_id = attempt.account_id if attempt else _int(event.metadata.get('account_id'))
    amount = event.amount if event.amount else (attempt.amount if attempt else 0)
    if account_id is None or not amount:
        return None
    saved = None
    if event.method is not None:
        saved = _lookup(session, _METHOD_BY_GATEWAY_ID, event.method.gateway_method_id)
    payment = Payment(account_id=account_id, attempt_id=attempt.id if attempt else None,
                      gateway_intent_id=event.intent_id, amount=int(amount), currency=event.currency,
                      method=event.method.kind if event.method else 'card', status=status,
                      receipt_number=new_receipt_number(session), payer_user_id=attempt.user_id if attempt else None,
                      saved_method_id=saved, settled_at=utcnow() if status == PaymentStatus.succeeded else None)
    for _ in range(RECEIPT_NUMBER_DRAWS):
        try:
            with savepoint_for_statement(session.connection()):
                insert_row(session, payment)
        except IntegrityError:  # another delivery made it meanwhile, or (rarely) the receipt number is taken
            made = _payment(session, event.intent_id)
            if made is not None:
                return made
            payment.receipt_number = new_receipt_number(session)
        else:
            allocate(session, payment=payment)
            return payment
    raise RuntimeError('could not store the payment')  # answered 500: the gateway delivers it again


RECEIPT_NUMBER_DRAWS = 4  # receipt numbers are random (a day has 16.7M): thousands a day clash now and then


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def on_payment_succeeded(session: Session, /, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    payment = _payment(session, event.intent_id) or _new_payment(session, event, attempt, PaymentStatus.succeeded)
    if payment is None:
        return 'ignored: unknown payment'
    if payment.status != PaymentStatus.succeeded:
        payment.status, payment.settled_at = PaymentStatus.succeeded, utcnow()
    created = ledger.post_once(session, account_id=payment.account_id, kind=LedgerKind.patient_payment,
                             amount=-payment.amount, external_ref=event.intent_id or f'payment:{payment.id}',
                             effective_date=practice_today(session), currency=payment.currency, payment_id=payment.id)
    if attempt is not None:
        _touch(attempt, event, AttemptStatus.succeeded)
        attempt.error_message = ''
    if created:
        _mark_statements_paid(session, payment, attempt)
        receipt_email(session, payment)
    account_money_moved(session, account_id=payment.account_id)
    return 'posted' if created else 'already posted'


def _mark_statements_paid(session: Session, payment: Payment, attempt: PaymentAttempt | None) -> None:
    """A statement paid in full (or an account paid off) is paid: its quick-pay code stops working."""
    paid_off = ledger.balance(session, payment.account_id) <= 0
    chosen = None
    if attempt is not None:
        chosen = statement_of(attempt.target)
    paid = [statement_id for statement_id, amount_due
            in session.connection().execute(_UNPAID_STATEMENTS, {'account_id': payment.account_id})
            if paid_off or statement_id == chosen and payment.amount >= amount_due]
    if paid:
        session.execute(update(Statement).where(col(Statement.id).in_(paid)).values(paid_at=utcnow()))


def on_payment_processing(session: Session, /, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    if attempt is not None and (attempt.status == AttemptStatus.succeeded or _stale(attempt, event)):
        return 'stale'
    payment = _payment(session, event.intent_id)
    if payment is not None and payment.status == PaymentStatus.succeeded:
        return 'stale'
    if payment is None:
        payment = _new_payment(session, event, attempt, PaymentStatus.processing)
    elif payment.status == PaymentStatus.failed:
        payment.status = PaymentStatus.processing
    if attempt is not None:
        _touch(attempt, event, AttemptStatus.processing)
    if payment is None:
        return 'ignored: unknown payment'
    account_money_moved(session, account_id=payment.account_id)
    return 'processing'


def on_payment_failed(session: Session, /, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    payment = _payment(session, event.intent_id)
    if payment is not None and payment.status == PaymentStatus.succeeded \
            or attempt is not None and attempt.status == AttemptStatus.succeeded:
        return 'stale'
    if _stale(attempt, event):
        return 'stale'
    if attempt is not None and event.intent_id and attempt.gateway_intent_id != event.intent_id:
        # not the attempt's current intent: the off-session charge handed over to an authentication
        # checkout, or one try inside a checkout still open (the patient may try again there)
        attempt = None
        if payment is None:
            return 'superseded'
    if attempt is not None:
        _touch(attempt, event, AttemptStatus.failed)
        attempt.error_message = (event.failure_message or 'The payment did not go through.')[:300]
    if payment is not None:  # it was processing: the bank returned it
        payment.status = PaymentStatus.failed
        account_money_moved(session, account_id=payment.account_id, returned_payment_id=payment.id)
    return 'failed'


def on_checkout_completed(session: Session, /, event: GatewayEvent) -> str:
    attempt = _attempt(session, event)
    if attempt is None:
        return 'ignored: unknown checkout'
    if event.session_id and not attempt.gateway_session_id:
        attempt.gateway_session_id = event.session_id
    if event.intent_id and not attempt.gateway_intent_id:
        attempt.gateway_intent_id = event.intent_id
    if attempt.target == 'setup' and attempt.status == AttemptStatus.setup:
        attempt.status = AttemptStatus.succeeded
    return 'linked'


def on_method_saved(session: Session, /, event: GatewayEvent) -> str:
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

