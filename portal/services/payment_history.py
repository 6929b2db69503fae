"""A patient's payment history (/payments): every payment and refund on the accounts they may see,
newest first, each with what it paid for; and what moved on each account since its latest statement
(the "Since your statement of Nov 7: +$92.00 new charges" line on home and the statements page).
Dates are the practice's calendar day (`Practice.day_of`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships
from portal.db import read_session, write_session
from portal.models import (
    Charge,
    GuarantorAccount,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentAttempt,
    PlanInstallment,
    Refund,
    RefundStatus,
    SavedPaymentMethod,
    Statement,
)
from portal.services.attempt_targets import parse_target
from portal.services.payments.receipts import payment_method_label
from portal.services.practice import practice
from portal.services.refund_reasons import plain_reason


class PaidFor(StrEnum):
    """What a payment was made toward (from its attempt's target)."""
    balance = 'balance'  # the whole balance
    statement = 'statement'  # one statement (`for_date`: its date)
    amount = 'amount'  # an amount the patient typed
    installment = 'installment'  # a plan installment, by hand or autopay (`for_date`: its due date)
    office = 'office'  # cash or check taken by the billing office


class Status(StrEnum):
    processing = 'processing'  # a payment not settled yet (bank), or a refund on its way
    succeeded = 'succeeded'
    failed = 'failed'  # declined, returned by the bank, or a refund that did not go through
    refunded = 'refunded'  # a payment sent back in full
    partly_refunded = 'partly_refunded'


@dataclass(frozen=True)
class HistoryItem:
    payment_id: int  # the receipt this row opens (/payments/{payment_id}); a refund opens its payment's
    refund: bool  # False: a payment; True: money sent back to the patient
    on: date  # the practice's calendar day it was received (payment) or asked for (refund)
    amount: int  # minor units, positive
    currency: str
    method: str  # 'Visa ending 4242', 'STRIPE TEST BANK ending 6789 (ACH)', 'Check'
    status: Status
    paid_for: PaidFor
    for_date: date | None  # the statement's date or the installment's due date, else None
    account_number: str
    receipt_number: str
    why: str = ''  # a refund's reason in plain words (refund_reasons.plain_reason)
    at: datetime | None = None  # the instant, for ordering only


@dataclass(frozen=True)
class PaymentHistory:
    items: list[HistoryItem]  # newest first
    accounts: int  # how many accounts the person may see

    @property
    def several_accounts(self) -> bool:
        return len({item.account_number for item in self.items}) > 1


OFFICE_METHODS = ('cash', 'check')


def _paid_for(target: str | None, method: str, statements: dict[int, date], installments: dict[int, date]) \
        -> tuple[PaidFor, date | None]:
    if target is None:  # recorded without an attempt: cash or check at the office, or an imported payment
        return (PaidFor.office if method in OFFICE_METHODS else PaidFor.balance), None
    head, number = _kind_and_number(target)
    if head == 'statement' and number is not None:
        return PaidFor.statement, statements.get(number)
    if head in ('installment', 'plan-pay') and number is not None:
        return PaidFor.installment, installments.get(number)
    if head == 'amount':
        return PaidFor.amount, None
    return PaidFor.balance, None


def _kind_and_number(target: str) -> tuple[str, int | None]:
    parsed = parse_target(target)
    return parsed.kind, parsed.number


def _target_ids(targets: list[str], heads: tuple[str, ...]) -> set[int]:
    return {number for head, number in map(_kind_and_number, targets) if head in heads and number is not None}


def payment_history(session: Session, actor: Actor, relationships: dict[int, str] | None = None) -> PaymentHistory:
    """Every payment and refund on the accounts this person may act on, newest first. Views of an
    account that is not their own are audited (that needs a write session)."""
    if relationships is None:
        relationships = account_relationships(session, actor.user_id)
    for account_id, relationship in relationships.items():
        if relationship != 'self':
            audit.record(session, action='view_payment_history', actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                         detail=f'relationship={relationship}')
    if not relationships:
        return PaymentHistory(items=[], accounts=0)
    ids = list(relationships)
    rows = session.exec(
        select(Payment, PaymentAttempt.target, SavedPaymentMethod, GuarantorAccount.account_number)
        .join(GuarantorAccount, col(GuarantorAccount.id) == Payment.account_id)
        .outerjoin(PaymentAttempt, col(PaymentAttempt.id) == Payment.attempt_id)
        .outerjoin(SavedPaymentMethod, col(SavedPaymentMethod.id) == Payment.saved_method_id)
        .where(col(Payment.account_id).in_(ids))).all()
    refunds = session.exec(select(Refund).join(Payment, col(Payment.id) == Refund.payment_id)
                           .where(col(Payment.account_id).in_(ids))).all()
    targets = [target for _, target, _, _ in rows if target]
    statement_ids = _target_ids(targets, ('statement',))
    installment_ids = _target_ids(targets, ('installment', 'plan-pay'))
    statements = dict(session.exec(select(Statement.id, Statement.statement_date)
                                   .where(col(Statement.id).in_(statement_ids))).all()) if statement_ids else {}
    installments = dict(session.exec(select(PlanInstallment.id, PlanInstallment.due_date)
                                     .where(col(PlanInstallment.id).in_(installment_ids))).all()) \
        if installment_ids else {}
    day_of = practice(session).day_of
    refunded: dict[int, int] = {}
    for refund in refunds:
        if refund.status == RefundStatus.succeeded:
            refunded[refund.payment_id] = refunded.get(refund.payment_id, 0) + refund.amount
    items, by_payment = [], {}
    for payment, target, saved, account_number in rows:
        paid_for, for_date = _paid_for(target, payment.method, statements, installments)
        back = refunded.get(payment.id, 0)
        status = Status(payment.status) if payment.status in Status.__members__ else Status.processing
        if status == Status.succeeded and back:
            status = Status.refunded if back >= payment.amount else Status.partly_refunded
        item = HistoryItem(payment_id=payment.id, refund=False, on=day_of(payment.received_at), amount=payment.amount,
                           currency=payment.currency, method=payment_method_label(payment, saved), status=status,
                           paid_for=paid_for, for_date=for_date, account_number=account_number,
                           receipt_number=payment.receipt_number, at=payment.received_at)
        items.append(item)
        by_payment[payment.id] = item
    for refund in refunds:
        paid = by_payment[refund.payment_id]
        status = {'pending': Status.processing, 'succeeded': Status.succeeded}.get(refund.status, Status.failed)
        items.append(HistoryItem(payment_id=refund.payment_id, refund=True, on=day_of(refund.created_at),
                                 amount=refund.amount, currency=refund.currency, method=paid.method, status=status,
                                 paid_for=paid.paid_for, for_date=paid.for_date, account_number=paid.account_number,
                                 receipt_number=paid.receipt_number, why=plain_reason(refund.reason),
                                 at=refund.created_at))
    items.sort(key=lambda item: (item.at, item.refund, item.payment_id), reverse=True)
    return PaymentHistory(items=items, accounts=len(relationships))


def load_payment_history(*, actor: Actor) -> PaymentHistory:
    """The history in its own session: read-only unless a view must be audited (not 'self')."""
    with read_session() as session:
        relationships = account_relationships(session, actor.user_id)
        if all(relationship == 'self' for relationship in relationships.values()):
            return payment_history(session, actor, relationships)
    with write_session() as session:
        return payment_history(session, actor, relationships)


@dataclass(frozen=True)
class ActivityLine:
    """One ledger movement after the statement, as the patient reads it."""
    on: date  # the day it took effect (the date of service, for a charge)
    what: str  # the charge's plain description, or 'Insurance paid', 'Your payment', ...
    amount: int  # signed minor units: positive adds to what is owed
    refund: bool = False  # money sent back to the patient (it adds to what is owed)


KIND_WORDS = {LedgerKind.charge: 'New charge', LedgerKind.insurance_payment: 'Insurance paid',
              LedgerKind.contractual_adjustment: 'Insurance discount (adjustment)',
              LedgerKind.patient_payment: 'Your payment', LedgerKind.refund: 'Refund to you',
              LedgerKind.write_off: 'Written off by the practice', LedgerKind.correction: 'Correction'}
LINES_SHOWN = 50


@dataclass(frozen=True)
class SinceStatement:
    """What moved on one account after its latest statement (minor units, each positive)."""
    account_number: str
    currency: str
    statement_id: int
    statement_date: date
    charges: int  # new charges
    payments: int  # what the patient paid
    credits: int  # insurance payments, adjustments and write-offs
    refunds: int  # money sent back to the patient
    corrections: int  # signed: positive adds to what is owed (not counting insurance_reversed)
    lines: tuple[ActivityLine, ...] = ()  # newest first, at most LINES_SHOWN (only when asked for)
    insurance_reversed: int = 0  # signed: corrections of insurance payments and discounts (a payer's reversal,
    # CLP02 22); positive adds to what is owed

    @property
    def anything(self) -> bool:
        return any((self.charges, self.payments, self.credits, self.refunds, self.corrections,
                    self.insurance_reversed))

    @property
    def change(self) -> int:
        """The signed change of the balance since the statement."""
        return self.charges + self.refunds + self.corrections + self.insurance_reversed - self.payments \
            - self.credits


_CREDITS = (LedgerKind.insurance_payment, LedgerKind.contractual_adjustment, LedgerKind.write_off)
INSURANCE_KINDS = frozenset({LedgerKind.insurance_payment, LedgerKind.contractual_adjustment})
REVERSED_WORDS = {LedgerKind.insurance_payment: 'Insurance payment reversed',
                  LedgerKind.contractual_adjustment: 'Insurance discount reversed'}


def _words(kind: str, corrects_kind: str | None, description: str | None) -> str:
    if kind == LedgerKind.charge and description:
        return description
    if kind == LedgerKind.correction and corrects_kind in REVERSED_WORDS:
        return REVERSED_WORDS[corrects_kind]
    return KIND_WORDS.get(kind, 'Change')


def activity_since_statements(session: Session, account_ids: list[int], *, lines: bool = False) \
        -> list[SinceStatement]:
    """For each account with a statement, what the ledger gained after that statement's last entry
    (with its newest `LINES_SHOWN` movements when `lines`); the caller has checked access to every account."""
    found = []
    for account_id in account_ids:
        latest = session.exec(
            select(Statement.id, Statement.statement_date, Statement.last_entry_id, GuarantorAccount.account_number,
                   GuarantorAccount.currency)
            .join(GuarantorAccount, col(GuarantorAccount.id) == Statement.account_id)
            .where(Statement.account_id == account_id)
            .order_by(col(Statement.statement_date).desc(), col(Statement.id).desc()).limit(1)).first()
        if latest is None:
            continue
        sums: dict[str, int] = {}
        reversed_ = 0
        for kind, corrects_kind, amount in session.exec(
                select(LedgerEntry.kind, LedgerEntry.corrects_kind, func.sum(LedgerEntry.amount))
                .where(LedgerEntry.account_id == account_id, LedgerEntry.id > latest.last_entry_id)
                .group_by(LedgerEntry.kind, LedgerEntry.corrects_kind)).all():
            if kind == LedgerKind.correction and corrects_kind in INSURANCE_KINDS:
                reversed_ += int(amount)
            else:
                sums[kind] = sums.get(kind, 0) + int(amount)
        shown = session.exec(
            select(LedgerEntry.effective_date, LedgerEntry.kind, LedgerEntry.amount, Charge.description,
                   LedgerEntry.corrects_kind)
            .outerjoin(Charge, col(Charge.id) == LedgerEntry.charge_id)
            .where(LedgerEntry.account_id == account_id, LedgerEntry.id > latest.last_entry_id)
            .order_by(col(LedgerEntry.id).desc()).limit(LINES_SHOWN)).all() if lines and (sums or reversed_) else []
        found.append(SinceStatement(
            account_number=latest.account_number, currency=latest.currency, statement_id=latest.id,
            statement_date=latest.statement_date, charges=int(sums.get(LedgerKind.charge, 0)),
            payments=-int(sums.get(LedgerKind.patient_payment, 0)),
            credits=-sum(int(sums.get(kind, 0)) for kind in _CREDITS),
            refunds=int(sums.get(LedgerKind.refund, 0)), corrections=int(sums.get(LedgerKind.correction, 0)),
            lines=tuple(ActivityLine(on, _words(kind, corrects_kind, description), int(amount),
                                     kind == LedgerKind.refund)
                        for on, kind, amount, description, corrects_kind in shown),
            insurance_reversed=reversed_))
    return found


def load_activity_since(*, actor: Actor, lines: bool = False) -> tuple[SinceStatement, ...]:
    """What moved since the latest statement on each account this person may see (the page that
    shows it audits its own view)."""
    with read_session() as session:
        return tuple(activity_since_statements(session, list(account_relationships(session, actor.user_id)),
                                               lines=lines))
