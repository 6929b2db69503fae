"""Refunds and disputes as gateways report them: a refund posts to the ledger once by its refund id
(a failed one after it had posted is taken back by a correction); a card dispute flags the account with a
chargeback (never the patient's own billing dispute, which is resolved apart)."""
from __future__ import annotations

from sqlmodel import Session, col, select

from portal import audit
from portal.models import AccountFlag, LedgerEntry, LedgerKind, Payment, Refund, RefundStatus
from portal.models.accounts import FlagKind
from portal.payments.gateway import GatewayEvent
from portal.services import ledger
from portal.services.money_moved import account_money_moved
from portal.services.practice import practice_today
from portal.services.refund_reasons import AT_THE_GATEWAY
from portal.services.statement_status import reopen_refunded_statements


def _payment(session: Session, intent_id: str | None) -> Payment | None:
    if not intent_id:
        return None
    return session.exec(select(Payment).where(Payment.gateway_intent_id == intent_id)).first()


def _refund_row(session: Session, event: GatewayEvent) -> Refund | None:
    if not event.refund_id:
        return None
    row = session.exec(select(Refund).where(Refund.gateway_refund_id == event.refund_id)).first()
    if row is not None:
        return row
    payment = _payment(session, event.intent_id)
    if payment is None:
        return None
    # our own refund whose gateway id we have not written yet, else one made at the gateway directly
    row = session.exec(select(Refund).where(Refund.payment_id == payment.id, col(Refund.gateway_refund_id).is_(None),
                                            Refund.amount == event.amount, Refund.status == RefundStatus.pending)
                       .order_by(col(Refund.id))).first()
    if row is None:
        row = Refund(payment_id=payment.id, idempotency_key=f'gateway:{event.refund_id}'[:80],
                     amount=int(event.amount or 0), currency=event.currency, reason=AT_THE_GATEWAY)
        session.add(row)
    row.gateway_refund_id = event.refund_id
    session.flush()
    return row


def on_refund_succeeded(session: Session, /, event: GatewayEvent) -> str:
    row = _refund_row(session, event)
    if row is None:
        return 'ignored: unknown refund'
    return post_refund(session, row)


def post_refund(session: Session, /, row: Refund) -> str:
    if row.status == RefundStatus.failed:  # a refund fails after it succeeded, never the other way: an older event
        return 'stale'
    payment = session.get(Payment, row.payment_id)
    assert payment is not None
    row.status = RefundStatus.succeeded
    _, created = ledger.post(session, account_id=payment.account_id, kind=LedgerKind.refund, amount=row.amount,
                             external_ref=row.gateway_refund_id or f'refund:{row.id}',
                             effective_date=practice_today(session),
                             currency=row.currency, payment_id=payment.id, refund_id=row.id, memo=row.reason[:200])
    if created:  # money went back: statements that payment paid may be owed again
        reopen_refunded_statements(session, account_id=payment.account_id, paid_after=payment.received_at)
    account_money_moved(session, account_id=payment.account_id)
    return 'posted' if created else 'already posted'


def on_refund_failed(session: Session, /, event: GatewayEvent) -> str:
    row = _refund_row(session, event)
    if row is None:
        return 'ignored: unknown refund'
    row.status = RefundStatus.failed
    posted = session.exec(select(LedgerEntry).where(LedgerEntry.external_ref == event.refund_id)).first()
    if posted is not None:  # it had succeeded: a correction takes it back off
        ledger.post(session, account_id=posted.account_id, kind=LedgerKind.correction, amount=-posted.amount,
                    external_ref=f'{event.refund_id}:failed', effective_date=practice_today(session),
                    corrects_entry_id=posted.id, corrects_kind=LedgerKind.refund, refund_id=row.id,
                    memo=f'Refund failed: {row.reason}'[:200])
        account_money_moved(session, account_id=posted.account_id)
    return 'failed'


def on_dispute_opened(session: Session, /, event: GatewayEvent) -> str:
    payment = _payment(session, event.intent_id)
    if payment is None:
        return 'ignored: unknown payment'
    reason = f'Card dispute {event.metadata.get("dispute_id", "")} on receipt {payment.receipt_number}'[:200]
    exists = session.exec(select(AccountFlag.id).where(AccountFlag.account_id == payment.account_id,
                                                       AccountFlag.kind == FlagKind.chargeback,
                                                       AccountFlag.reason == reason)).first()
    if exists is None:
        session.add(AccountFlag(account_id=payment.account_id, kind=FlagKind.chargeback, reason=reason))
        audit.record(session, action='dispute_opened', entity_type='payment', entity_id=payment.id,
                     account_id=payment.account_id, actor_role='gateway')
    return 'flagged'
