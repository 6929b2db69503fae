"""Receipts: what a payment paid (date of service, provider, service, amount), fit for an HSA/FSA
claim; shown on the result page, as a PDF behind sign-in, and to guests through a signed link."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date

from sqlalchemy import bindparam, func
from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, require_account
from portal.clock import practice_today
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.models import (
    Charge,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    LedgerKind,
    Patient,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    Provider,
    Refund,
    User,
)
from portal.money import format_money
from portal.notify import outbox
from portal.services.errors import NotFound
from portal.services.payments import tokens
from portal.services.refund_reasons import RefundLine, plain_reason

METHOD_LABELS = {'card': 'Card', 'us_bank_account': 'Bank account (ACH)', 'cash': 'Cash', 'check': 'Check',
                 'wallet': 'Wallet'}


@dataclass(frozen=True)
class ReceiptLine:
    date_of_service: date
    patient: str
    provider: str
    description: str
    code: str
    amount: int


@dataclass(frozen=True)
class ReceiptView:
    payment_id: int
    receipt_number: str
    paid_on: date
    amount: int
    currency: str
    method: str
    status: str  # succeeded, processing, failed
    account_number: str
    payer: str
    practice: str
    practice_phone: str
    refunded: int
    reference: str = ''
    lines: list[ReceiptLine] = field(default_factory=list)
    refunds: list[RefundLine] = field(default_factory=list)

    @property
    def unapplied(self) -> int:
        return self.amount - sum(line.amount for line in self.lines)


def _practice_date(moment) -> date:  # noqa: ANN001
    from zoneinfo import ZoneInfo
    if moment is None:
        return practice_today()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(get_settings().practice_timezone)).date()


def receipt_view(session: Session, payment: Payment) -> ReceiptView:
    account = session.get(GuarantorAccount, payment.account_id)
    assert account is not None
    rows = session.exec(
        select(Charge.date_of_service, Patient.first_name, Patient.last_name, Provider.first_name,
               Provider.last_name, Provider.credentials, Charge.description, Charge.code, PaymentAllocation.amount)
        .join(Charge, Charge.id == PaymentAllocation.charge_id)
        .join(Patient, Patient.id == Charge.patient_id)
        .join(Encounter, Encounter.id == Charge.encounter_id)
        .join(Provider, Provider.id == Encounter.provider_id)
        .where(PaymentAllocation.payment_id == payment.id)
        .order_by(col(Charge.date_of_service), col(PaymentAllocation.id))).all()
    refunded = session.exec(select(func.coalesce(func.sum(Refund.amount), 0))
                            .where(Refund.payment_id == payment.id, Refund.status == 'succeeded')).one()
    refunds = session.exec(select(LedgerEntry.effective_date, Refund.amount, Refund.reason)
                           .join(Refund, Refund.id == LedgerEntry.refund_id)
                           .where(Refund.payment_id == payment.id, LedgerEntry.kind == LedgerKind.refund,
                                  Refund.status == 'succeeded').order_by(col(LedgerEntry.id))).all()
    settings = get_settings()
    return ReceiptView(
        payment_id=payment.id, receipt_number=payment.receipt_number,
        paid_on=_practice_date(payment.received_at), amount=payment.amount,
        currency=payment.currency, method=METHOD_LABELS.get(payment.method, payment.method.title()),
        status=payment.status, account_number=account.account_number,
        payer=f'{account.guarantor_first_name} {account.guarantor_last_name}', practice=settings.practice_name,
        practice_phone=settings.practice_phone, refunded=int(refunded), reference=payment.reference,
        lines=[ReceiptLine(dos, f'{pf} {pl}', f'{vf} {vl}, {cred}', description, code, int(amount))
               for dos, pf, pl, vf, vl, cred, description, code, amount in rows],
        refunds=[RefundLine(on, int(amount), plain_reason(reason)) for on, amount, reason in refunds])


def receipt_for_actor(session: Session, actor: Actor, payment_id: int) -> ReceiptView:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound()
    require_account(session, actor, payment.account_id, purpose='view_receipt')
    return receipt_view(session, payment)


def load_receipt(*, actor: Actor, payment_id: int) -> ReceiptView | None:
    """The receipt, or None (a refusal, audited and committed) when the actor may not see it."""
    with write_session() as session:
        try:
            return receipt_for_actor(session, actor, payment_id)
        except NotFound:
            return None


def receipt_by_token(token: str) -> ReceiptView | None:
    """A guest's receipt from the emailed link (7 days); None when forged or expired."""
    payment_id = tokens.read('receipt', token)
    if payment_id is None:
        return None
    with read_session() as session:
        payment = session.get(Payment, payment_id)
        return receipt_view(session, payment) if payment else None


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


def done_view(*, token: str, actor: Actor | None) -> DoneView | None:
    """The result page of one attempt, from the ledger and the attempt, never from the redirect alone.
    An attempt still open is re-fetched from the gateway first: its intent, or else its checkout."""
    from portal.payments.gateway import GatewayError
    from portal.payments.registry import gateway
    from portal.services import ledger
    from portal.services.payments.core import outcome_of
    from portal.services.payments.events import apply_intent_state
    attempt_id = tokens.read('done', token)
    if attempt_id is None:
        return None
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        if attempt is None:
            return None
        pending = attempt.status in ('open', 'processing')
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
        status = 'pending' if attempt.status == 'open' else outcome.status
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


_USER_ADDRESS = select(User.email, User.first_name).where(User.id == bindparam('id'))
_ACCOUNT_ADDRESS = select(GuarantorAccount.email, GuarantorAccount.guarantor_first_name) \
    .where(GuarantorAccount.id == bindparam('id'))


def receipt_email(session: Session, payment: Payment, *, recipient: str | None = None, link: str | None = None,
                  dedupe_key: str | None = None) -> None:
    """The receipt email (no PHI: first name, amount, receipt number and a link); once per payment and
    recipient unless another dedupe key is given."""
    first_name = ''
    if recipient is None:
        session.flush()  # the lookups below bypass the session
        connection = session.connection()
        found = connection.execute(_USER_ADDRESS, {'id': payment.payer_user_id}).first() \
            if payment.payer_user_id else None
        found = found or connection.execute(_ACCOUNT_ADDRESS, {'id': payment.account_id}).first()
        recipient, first_name = found if found else (None, '')
    if not recipient:
        return
    base = get_settings().public_base_url
    outbox.enqueue(session, channel='email', template='payment_received', recipient=recipient,
                   dedupe_key=dedupe_key or f'receipt:{payment.id}:{recipient}'[:160], account_id=payment.account_id,
                   user_id=payment.payer_user_id,
                   context={'first_name': first_name, 'amount': format_money(payment.amount, payment.currency),
                            'receipt_number': payment.receipt_number,
                            'link': link or f'{base}/documents/receipts/{payment.id}.pdf'})
