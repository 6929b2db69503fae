"""Staff: see an account's ledger and payments, refund (full or partial, reason required,
never more than paid minus refunded; more than the account's credit only once the clerk has seen and
confirmed the balance it leaves) and record an offline payment (cash or check). All audited."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_account, require_staff
from portal.clock import utcnow
from portal.db import write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    AccountFlag,
    FlagKind,
    GuarantorAccount,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    SavedPaymentMethod,
)
from portal.money import AmountError, format_money, parse_amount
from portal.payments.gateway import GatewayError
from portal.payments.registry import gateway
from portal.services import ledger
from portal.services.money_moved import account_money_moved
from portal.services.payable import standing
from portal.services.payments.allocation import allocate
from portal.services.payments.core import new_key
from portal.services.payments.payment_events import new_receipt_number
from portal.services.payments.receipts import payment_method_label
from portal.services.payments.refund_events import post_refund
from portal.services.person_names import guarantor_name
from portal.services.practice import practice, practice_today


@dataclass(frozen=True)
class PaymentRow:
    id: int
    receipt_number: str
    received_on: date  # the practice's calendar day it was received (clock.practice_day)
    amount: int
    method: str
    status: PaymentStatus
    refunded: int
    reference: str
    method_label: str = ''  # in people's words: 'Visa ending 4242', 'Bank account (ACH)', 'Check'

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded if self.status == PaymentStatus.succeeded else 0


@dataclass(frozen=True)
class EntryRow:
    id: int
    effective_date: date
    kind: str
    amount: int
    memo: str


@dataclass(frozen=True)
class StaffAccount:
    id: int
    account_number: str
    name: str
    currency: str
    balance: int
    processing: int
    waiting: int = 0  # open on charges whose claim is still pending: not asked for yet (payable.standing)
    flags: list[str] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)

    @property
    def credit(self) -> int:
        """What the account holds for the patient (a negative balance), the natural refund."""
        return max(0, -self.balance)

    @property
    def due_now(self) -> int:
        """What the patient is asked for now: the balance less money processing and waiting for insurance."""
        return max(0, self.balance - self.processing - self.waiting)


@dataclass(frozen=True)
class RefundPreview:
    """What a refund would do to the account, before it is made (minor units)."""
    amount: int
    currency: str
    balance: int  # now: negative is a credit
    balance_after: int

    @property
    def credit(self) -> int:
        return max(0, -self.balance)

    @property
    def rebills(self) -> bool:
        """More than the credit: the patient will owe the difference again."""
        return self.amount > self.credit and self.balance_after > 0

    @property
    def warning(self) -> str:
        money = lambda minor: format_money(minor, self.currency)  # noqa: E731
        return (f'This refund is {money(self.amount - self.credit)} more than the account\'s credit of '
                f'{money(self.credit)}. The balance becomes {money(self.balance_after)}, which the patient '
                'will owe again.')


class RefundNeedsConfirmation(ValidationFailed):
    """A refund of more than the credit, not (or no longer) confirmed for the balance it leaves."""

    def __init__(self, preview: RefundPreview) -> None:
        super().__init__(preview.warning + ' Confirm to refund anyway.')
        self.preview = preview


def _refunded(session: Session, payment_id: int) -> int:
    return int(session.exec(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.payment_id == payment_id, col(Refund.status).in_([RefundStatus.pending, RefundStatus.succeeded]))).one())


def staff_account(session: Session, /, actor: Actor, account_id: int) -> StaffAccount:
    require_staff(session, actor, purpose='staff_view_account')
    account = session.get(GuarantorAccount, account_id)
    if account is None:  # before the audit: its row would point at no account
        raise NotFound()
    require_account(session, actor, account_id, purpose='staff_view_account')
    entries = session.exec(select(LedgerEntry).where(LedgerEntry.account_id == account_id)
                           .order_by(col(LedgerEntry.effective_date).desc(), col(LedgerEntry.id).desc())
                           .limit(100)).all()
    payments = session.exec(select(Payment).where(Payment.account_id == account_id)
                            .order_by(col(Payment.received_at).desc()).limit(50)).all()
    flags = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id,
                                                   col(AccountFlag.cleared_at).is_(None))).all()
    method_ids = {p.saved_method_id for p in payments if p.saved_method_id}
    saved = {m.id: m for m in session.exec(select(SavedPaymentMethod)
                                           .where(col(SavedPaymentMethod.id).in_(method_ids)))} if method_ids else {}
    money = standing(session, account_id)  # balance, processing and waiting read together
    day_of = practice(session).day_of
    return StaffAccount(
        id=account_id, account_number=account.account_number,
        name=guarantor_name(account), currency=account.currency,
        balance=money.balance, processing=money.processing, waiting=money.waiting,
        flags=[f'{FlagKind(flag.kind).label}: {flag.reason}' for flag in flags],
        entries=[EntryRow(e.id, e.effective_date, e.kind, e.amount, e.memo) for e in entries],
        payments=[PaymentRow(p.id, p.receipt_number, day_of(p.received_at), p.amount, p.method, p.status,
                             _refunded(session, p.id), p.reference,
                             payment_method_label(p, saved.get(p.saved_method_id))) for p in payments])


def _amount(text: str, *, maximum: int, verb: str) -> int:
    try:
        return parse_amount(text, maximum=maximum, verb=verb)
    except AmountError as error:
        raise ValidationFailed(str(error), field_errors={'amount': str(error)}) from None


def _preview(session: Session, payment: Payment, amount_text: str) -> RefundPreview:
    if payment.status != PaymentStatus.succeeded:
        raise ValidationFailed('Only a completed payment can be refunded.')
    left = payment.amount - _refunded(session, payment.id)
    if left <= 0:
        raise ValidationFailed('This payment has already been refunded in full.')
    amount = _amount(amount_text, maximum=left, verb='refund')
    balance = ledger.balance(session, payment.account_id)
    return RefundPreview(amount=amount, currency=payment.currency, balance=balance, balance_after=balance + amount)


def _new_refund(session: Session, actor: Actor, payment: Payment, *, amount_text: str, reason: str,
                idempotency_key: str, balance_after: int | None) -> Refund:
    preview = _preview(session, payment, amount_text)
    if preview.rebills and balance_after != preview.balance_after:
        raise RefundNeedsConfirmation(preview)
    amount = preview.amount
    row = Refund(payment_id=payment.id, idempotency_key=idempotency_key[:80], amount=amount,
                 currency=payment.currency, reason=reason[:200], requested_by_user_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, action='refund_requested', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment', entity_id=payment.id, account_id=payment.account_id,
                 source_ip=actor.ip, detail=f'amount={amount}')
    return row


def refund_payment(*, actor: Actor, payment_id: int, amount_text: str, reason: str,
                   idempotency_key: str | None = None, balance_after: int | None = None) -> str:
    """Refund a payment; the Refund row and its key are stored before the gateway is called. Returns
    the message to show ('Refunded $20.00.').

    The key comes from the refund dialog (made when it opened): a double click or a retry after a
    timeout sends the same refund again, never a second one. The payment row is locked, so two
    refunds at once cannot both pass the "left to refund" check. A refund of more than the account's
    credit re-bills the patient: it needs `balance_after`, the balance (minor units) it leaves, as the
    clerk saw and confirmed it; without it, or when it has changed since, RefundNeedsConfirmation
    (a ValidationFailed) carries the preview to show: amount, credit, balance after."""
    with write_session() as session:
        require_staff(session, actor, purpose='refund')
    reason = (reason or '').strip()
    if not reason:
        message = 'Give a reason for the refund.'
        raise ValidationFailed(message, field_errors={'reason': message})
    with write_session() as session:
        payment = session.exec(select(Payment).where(Payment.id == payment_id).with_for_update()).first()
        if payment is None:
            raise NotFound()
        require_account(session, actor, payment.account_id, purpose='refund')
        row = session.exec(select(Refund).where(Refund.idempotency_key == idempotency_key)).first() \
            if idempotency_key else None
        if row is not None and row.payment_id != payment_id:
            raise ValidationFailed('Close this window and start the refund again.')
        if row is not None and (row.status != RefundStatus.pending or row.gateway_refund_id):
            word = {RefundStatus.succeeded: 'Refunded', RefundStatus.failed: 'The refund failed for'} \
                .get(row.status, 'Refund requested for')
            return f'{word} {format_money(row.amount, row.currency)}.'
        if row is None:
            row = _new_refund(session, actor, payment, amount_text=amount_text, reason=reason,
                              idempotency_key=idempotency_key or new_key('refund'), balance_after=balance_after)
        refund_id, key, intent_id, amount = row.id, row.idempotency_key, payment.gateway_intent_id, row.amount
        offline = payment.method in ('cash', 'check') or not intent_id
        if offline:  # paid back by the office: nothing to call
            post_refund(session, row)
            return f'Refunded {format_money(amount, payment.currency)}.'
    try:
        result = gateway().refund(idempotency_key=key, intent_id=intent_id, amount=amount, reason=reason)
    except GatewayError as error:
        with write_session() as session:
            row = session.get(Refund, refund_id)
            if row is not None and not error.retryable:
                row.status = RefundStatus.failed
        # the gateway's words are about charges ("Nothing was charged"): say what happened to the refund
        raise ValidationFailed('We could not reach the payment processor. Nothing was refunded yet; try again.'
                               if error.retryable else 'The payment processor refused the refund. Nothing was '
                               'refunded.') from None
    with write_session() as session:
        row = session.get(Refund, refund_id)
        assert row is not None
        row.gateway_refund_id = row.gateway_refund_id or result.refund_id
        if result.status == 'succeeded':
            post_refund(session, row)
        elif result.status == 'failed':
            row.status = RefundStatus.failed
    word = 'Refunded' if result.status == 'succeeded' else 'Refund requested for'
    return f'{word} {format_money(amount)}.'


def record_offline_payment(session: Session, /, *, actor: Actor, account_id: int, amount_text: str, method: str,
                           reference: str = '', idempotency_key: str | None = None) -> int:
    """Cash or check taken by the office: a succeeded payment, allocated oldest first, posted once.

    The key comes from the dialog (new_key('offline'), made when it opened) and is the ledger
    reference: the same dialog submitted twice records one payment."""
    require_staff(session, actor, purpose='record_payment')
    require_account(session, actor, account_id, purpose='record_payment')
    # one offline payment at a time per account (PostgreSQL; SQLite writers are serialised anyway)
    session.exec(select(GuarantorAccount.id).where(GuarantorAccount.id == account_id).with_for_update()).first()
    if idempotency_key:
        posted = session.exec(select(LedgerEntry.payment_id).where(LedgerEntry.external_ref == idempotency_key)).first()
        existing = session.get(Payment, posted) if posted else None
        if existing is not None:
            return existing.id  # type: ignore[return-value]
    if method not in ('cash', 'check'):
        raise ValidationFailed('Choose cash or check.')
    reference = _bare_reference(method, reference)
    errors = {}  # every field's error at once, not one per try
    try:
        amount = parse_amount(amount_text, maximum=10_000_000, verb='record')
    except AmountError as error:
        errors['amount'] = str(error)
    if method == 'check' and not reference:
        errors['reference'] = 'Enter the check number.'
    if errors:
        raise ValidationFailed(' '.join(errors.values()), field_errors=errors)
    payment = Payment(account_id=account_id, amount=amount, method=method, status=PaymentStatus.succeeded,
                      receipt_number=new_receipt_number(session), reference=reference[:60],
                      recorded_by_user_id=actor.user_id, settled_at=utcnow())
    session.add(payment)
    session.flush()
    allocate(session, payment=payment)
    ledger.post(session, account_id=account_id, kind=LedgerKind.patient_payment, amount=-amount,
                external_ref=idempotency_key or f'offline:{payment.id}', effective_date=practice_today(session),
                payment_id=payment.id,
                created_by_user_id=actor.user_id, memo=f'{method.title()} {reference}'.strip()[:200])  # 'Check 1042'
    account_money_moved(session, account_id=account_id)
    audit.record(session, action='offline_payment', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='payment', entity_id=payment.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'{method} amount={amount}')
    return payment.id  # type: ignore[return-value]


def _bare_reference(method: str, typed: str) -> str:
    """'Check #1042' -> '1042': the method is written once, in the memo ('Check 1042', never
    'Check Check 1042')."""
    words = re.compile(rf'^(?:(?:{method}|chk|ck)\b\.?)?\s*(?:(?:no|num|number)\b\.?|#)?\s*', re.IGNORECASE)
    return words.sub('', typed or '', count=1).strip()
