"""The account beside a thread in the staff queue: who the guarantor is, what the account owes and what is
asked for now (`payable.standing`), its plan, its last payments, its open flags (a billing dispute apart from
a card chargeback) and the item the thread is about (a statement line, payment, claim or appointment).

Everything is read in the caller's session; money is in minor units of `currency`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.errors import NotFound, ValidationFailed
from portal.models import AccountFlag, FlagKind, GuarantorAccount, Payment, PlanInstallment
from portal.money import format_money
from portal.services.messaging import links
from portal.services.messaging.links import LinkView
from portal.services.payable import standing
from portal.services.plans import coverage
from portal.services.practice import practice

LAST_PAYMENTS = 5


LINK_LABELS = {'charge': 'Statement line', 'payment': 'Payment', 'claim': 'Claim', 'appointment': 'Appointment'}


@dataclass(frozen=True)
class LinkedItem:
    kind: str  # charge, payment, claim, appointment (messaging.links)
    label: str  # 'Statement line', 'Payment', ...
    text: str  # 'Office visit (99213) · March 3, 2026 · $180.00'


@dataclass(frozen=True)
class FlagLine:
    kind: FlagKind
    label: str  # 'Billing dispute', 'Card chargeback', ...
    reason: str
    since: date

    @property
    def is_billing_dispute(self) -> bool:
        return self.kind == FlagKind.dispute


@dataclass(frozen=True)
class PaymentLine:
    id: int
    received_on: date
    amount: int
    method: str
    status: str
    receipt_number: str


@dataclass(frozen=True)
class PlanLine:
    status: str  # active or delinquent
    installment: int
    months: int
    day_of_month: int
    next_date: date | None
    next_amount: int

    def terms(self, currency: str) -> str:
        """'$50.00 a month for 6 months, on day 5'."""
        return (f'{format_money(self.installment, currency)} a month for {self.months} months, '
                f'on day {self.day_of_month}')


@dataclass(frozen=True)
class AccountContext:
    account_id: int
    account_number: str
    guarantor: str
    email: str
    phone: str
    currency: str
    balance: int  # the ledger's sum (positive: the patient owes)
    processing: int  # payments started, not yet settled
    waiting: int  # open on charges whose claim is pending
    payable_now: int  # what is asked for now
    plan: PlanLine | None
    payments: tuple[PaymentLine, ...]
    flags: tuple[FlagLine, ...]
    linked: LinkedItem | None

    @property
    def has_billing_dispute(self) -> bool:
        return any(flag.is_billing_dispute for flag in self.flags)


def account_context(session: Session, /, *, actor: Actor, account_id: int, linked: LinkView | None = None,
                    audited: bool = True) -> AccountContext:
    """The account as staff need it beside a thread, with the item the thread is about (`links.of_thread`;
    an item of another account is left out, never shown). Staff only (anyone else: Refused, a NotFound);
    an unknown account is NotFound.

    `audited=False` is for a caller that audits the opening itself (opening a thread audits once, and a
    live refresh of an open thread not at all)."""
    require_staff(session, actor, purpose='staff_account_context')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    if audited:
        audit.record(session, action='staff_account_context', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip)
    money = standing(session, account_id)
    return AccountContext(
        account_id=account_id, account_number=account.account_number,
        guarantor=f'{account.guarantor_first_name} {account.guarantor_last_name}', email=account.email or '',
        phone=account.phone or '', currency=account.currency, balance=money.balance, processing=money.processing,
        waiting=money.waiting, payable_now=money.now, plan=plan_line(session, account_id),
        payments=_payments(session, account_id), flags=_flags(session, account_id),
        linked=_linked(session, account_id, linked))


def _linked(session: Session, account_id: int, link: LinkView | None) -> LinkedItem | None:
    if link is None:
        return None
    try:  # the item must be this account's: a stale link (another account's item) is not shown
        links.resolve(session, account_id, link.value)
    except ValidationFailed:
        return None
    return LinkedItem(link.kind, LINK_LABELS.get(link.kind, 'About'), link.label)


def plan_line(session: Session, account_id: int) -> PlanLine | None:
    """The account's open plan and its next installment still to pay, or None."""
    plan = coverage.open_plan(session, account_id)
    if plan is None:
        return None
    upcoming = session.exec(select(PlanInstallment).where(
        PlanInstallment.plan_id == plan.id, col(PlanInstallment.status).in_(coverage.OPEN))
        .order_by(col(PlanInstallment.seq))).first()
    return PlanLine(status=str(plan.status), installment=plan.installment_amount, months=plan.months,
                    day_of_month=plan.day_of_month, next_date=upcoming.due_date if upcoming else None,
                    next_amount=upcoming.amount if upcoming else 0)


def _payments(session: Session, account_id: int) -> tuple[PaymentLine, ...]:
    day_of = practice(session).day_of
    rows = session.exec(select(Payment).where(Payment.account_id == account_id)
                        .order_by(col(Payment.received_at).desc(), col(Payment.id).desc()).limit(LAST_PAYMENTS)).all()
    return tuple(PaymentLine(row.id, day_of(row.received_at), row.amount, row.method, str(row.status),
                             row.receipt_number) for row in rows)


def _flags(session: Session, account_id: int) -> tuple[FlagLine, ...]:
    day_of = practice(session).day_of
    rows = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id,
                                                  col(AccountFlag.cleared_at).is_(None))
                        .order_by(col(AccountFlag.created_at), col(AccountFlag.id))).all()
    return tuple(FlagLine(FlagKind(row.kind), FlagKind(row.kind).label, row.reason, day_of(row.created_at))
                 for row in rows)
