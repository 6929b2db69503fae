"""Receipts: what a payment paid (date of service, provider, service, amount), fit for an HSA/FSA
claim; shown on the result page, as a PDF behind sign-in, and to guests through a signed link."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, require_account
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import (
    Charge,
    Encounter,
    GuarantorAccount,
    Patient,
    Payment,
    PaymentAllocation,
    Provider,
    Refund,
    RefundStatus,
    SavedPaymentMethod,
    User,
)
from portal.money import format_money
from portal.notify import outbox
from portal.services.payments import tokens
from portal.services.person_names import full_name, guarantor_name
from portal.services.practice import Practice, practice
from portal.services.refund_reasons import plain_reason
from portal.services.saved_methods import BANK
from portal.services.saved_methods import method_label as saved_method_label  # receipts add (ACH)

METHOD_LABELS = {'card': 'Card', 'us_bank_account': 'Bank account (ACH)', 'cash': 'Cash', 'check': 'Check',
                 'wallet': 'Wallet'}


@dataclass(frozen=True)
class ReceiptLine:
    date_of_service: date
    patient: str
    provider: str
    description: str  # the charge's full plain-language description
    code: str  # CPT or HCPCS
    amount: int  # minor units this payment put on the charge


@dataclass(frozen=True)
class ReceiptRefund:
    on: date  # the practice's calendar day it was asked for
    amount: int  # minor units, positive
    status: RefundStatus
    why: str = ''  # the reason in plain words (refund_reasons.plain_reason)


@dataclass(frozen=True)
class ReceiptView:
    payment_id: int
    receipt_number: str
    paid_on: date  # the practice's calendar day the payment was received
    amount: int
    currency: str
    method: str  # 'Visa ending 4242', 'Bank account ending 6789 (ACH)', 'Check'
    status: str  # succeeded, processing, failed
    account_number: str
    payer: str
    practice: Practice
    refunded: int  # succeeded refunds, minor units
    reference: str = ''
    lines: list[ReceiptLine] = field(default_factory=list)
    refunds: list[ReceiptRefund] = field(default_factory=list)  # every refund asked for, oldest first

    @property
    def unapplied(self) -> int:
        return self.amount - sum(line.amount for line in self.lines)


def payment_method_label(payment: Payment, method: SavedPaymentMethod | None) -> str:
    """How the receipt names the method: brand and last 4 of a card, the last 4 of a bank account."""
    kind = METHOD_LABELS.get(payment.method, payment.method.title())
    if method is None or not method.last4:
        return kind
    return f'{saved_method_label(method)} (ACH)' if method.kind == BANK else saved_method_label(method)


def receipt_view(session: Session, /, payment: Payment) -> ReceiptView:
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
    refunds = session.exec(select(Refund).where(Refund.payment_id == payment.id).order_by(col(Refund.id))).all()
    facts = practice(session)
    saved = session.get(SavedPaymentMethod, payment.saved_method_id) if payment.saved_method_id else None
    payer_user = session.get(User, payment.payer_user_id) if payment.payer_user_id else None
    payer = full_name(payer_user.first_name, payer_user.last_name) if payer_user else ''
    return ReceiptView(
        payment_id=payment.id, receipt_number=payment.receipt_number,
        paid_on=facts.day_of(payment.received_at), amount=payment.amount,
        currency=payment.currency, method=payment_method_label(payment, saved),
        status=payment.status, account_number=account.account_number,
        payer=payer or guarantor_name(account), practice=facts,
        refunded=sum(refund.amount for refund in refunds if refund.status == RefundStatus.succeeded),
        reference=payment.reference,
        lines=[ReceiptLine(dos, f'{pf} {pl}', ', '.join(part for part in (f'{vf} {vl}', cred) if part), description,
                           code, int(amount))
               for dos, pf, pl, vf, vl, cred, description, code, amount in rows],
        refunds=[ReceiptRefund(facts.day_of(refund.created_at), refund.amount, refund.status,
                               plain_reason(refund.reason)) for refund in refunds])


def receipt_for_actor(session: Session, /, actor: Actor, payment_id: int) -> ReceiptView:
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


def receipt_by_token(*, token: str) -> ReceiptView | None:
    """A guest's receipt from the emailed link (7 days); None when forged or expired."""
    payment_id = tokens.read('receipt', token)
    if payment_id is None:
        return None
    with read_session() as session:
        payment = session.get(Payment, payment_id)
        return receipt_view(session, payment) if payment else None


def receipt_link_expired(token: str) -> bool:
    """Whether a receipt link that gave no receipt is a genuine one past its 7 days (else it is not ours)."""
    return tokens.expired('receipt', token)


_USER_ADDRESS = select(User.email, User.first_name).where(User.id == bindparam('id'))
_ACCOUNT_ADDRESS = select(GuarantorAccount.email, GuarantorAccount.guarantor_first_name) \
    .where(GuarantorAccount.id == bindparam('id'))


def receipt_email(session: Session, /, payment: Payment, *, recipient: str | None = None, link: str | None = None,
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
