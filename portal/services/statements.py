"""What a patient sees of their statements: the list (paid, due or overdue) and one statement
itemized by visit, with what insurance paid and the plain meaning of each adjustment.

Every read takes the acting user and checks access to the statement's account
(`require_account`): a statement of another account is NotFound, and the attempt is audited, as
is every staff view. Callers use a write session so those audit events are kept.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, account_relationships, require_account
from portal.clock import practice_today
from portal.models import (
    Charge,
    Claim,
    ClaimAdjustment,
    ClaimStatus,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    LedgerKind,
    Location,
    MessageThread,
    Patient,
    Provider,
    Refund,
    Statement,
    ThreadKind,
    ThreadStatus,
)
from portal.reference.codes import GROUP_CODES, explain_adjustment, explain_remark
from portal.services import audit, ledger
from portal.services.errors import NotFound
from portal.services.practice import Practice, practice
from portal.services.refund_reasons import plain_reason
from portal.services.statement_run import Totals

QUESTION_KINDS = (ThreadKind.charge_question, ThreadKind.dispute)
PENDING_CLAIMS = (ClaimStatus.submitted, ClaimStatus.in_process, ClaimStatus.appealed)
ADJUSTING = (LedgerKind.contractual_adjustment, LedgerKind.write_off)


@dataclass(frozen=True)
class StatementSummary:
    id: int
    account_number: str
    statement_date: date
    due_date: date
    amount_due: int
    new_balance: int
    currency: str
    status: str  # paid, due, overdue


@dataclass(frozen=True)
class Adjustment:
    code: str  # 'CO-45'
    meaning: str
    amount: int  # positive: what it took off the bill


@dataclass(frozen=True)
class ChargeLine:
    charge_id: int
    code: str
    description: str
    units: int
    billed: int
    insurance_paid: int
    adjustments: list[Adjustment]
    patient_owes: int
    your_share: list[Adjustment]  # why the patient owes it (deductible, coinsurance, copay)
    billed_earlier: bool = False  # on an earlier statement; here for what insurance did since
    question_thread_id: int | None = None


@dataclass(frozen=True)
class Visit:
    date_of_service: date
    patient_name: str
    provider_name: str
    location_name: str
    lines: list[ChargeLine]
    insurance_pending: bool = False  # a claim for this visit is still with the insurer


@dataclass(frozen=True)
class Credit:
    on: date
    description: str
    amount: int  # signed as on the ledger: negative lowers the balance


@dataclass(frozen=True)
class StatementDetail:
    summary: StatementSummary
    account_id: int
    guarantor_name: str
    guarantor_address: list[str]
    totals: Totals
    quick_pay_code: str
    previous_statement_date: date | None
    visits: list[Visit] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    practice: Practice | None = None


# the patient's own money: payments, refunds of them, and corrections of either
PATIENT_MONEY = (LedgerKind.patient_payment, LedgerKind.refund)
_PATIENT_MONEY = or_(col(LedgerEntry.kind).in_(PATIENT_MONEY),
                     and_(LedgerEntry.kind == LedgerKind.correction, col(LedgerEntry.corrects_kind).in_(PATIENT_MONEY)))


def paid_since_query(account_id, after_entry_id):  # noqa: ANN001, ANN201  (column expressions or values)
    """What the patient paid after a statement's last entry, less what was refunded to them (minor
    units, positive: paid): a scalar subquery, so the home page reads it in its one statement query."""
    return (select(func.coalesce(-func.sum(LedgerEntry.amount), 0))
            .where(LedgerEntry.account_id == account_id, LedgerEntry.id > after_entry_id, _PATIENT_MONEY)
            .scalar_subquery())


def covered(statement, *, paid_since: int, balance: int) -> bool:  # noqa: ANN001  (a Statement or a row of it)
    """The ledger says this statement needs nothing more: it asked for nothing, the account owes
    nothing now, or the patient's payments since it, less refunds, cover its amount due."""
    return statement.amount_due <= 0 or balance <= 0 or paid_since >= statement.amount_due


def statement_status(statement, *, paid_since: int, balance: int, on: date) -> str:  # noqa: ANN001
    """paid, due or overdue: the one rule for every page and document. `statement` is a Statement or a
    row with its paid_at, amount_due and due_date; `paid_since` as paid_since_query; `balance` the
    account's balance now (minor units); `on` the practice's day. paid_at marks a statement paid when
    it was; a refund that re-bills it clears paid_at (reopen_refunded_statements)."""
    if statement.paid_at is not None or covered(statement, paid_since=paid_since, balance=balance):
        return 'paid'
    return 'overdue' if on > statement.due_date else 'due'


def reopen_refunded_statements(session: Session, *, account_id: int, paid_after: datetime) -> list[int]:
    """After a refund: statements marked paid since the refunded payment arrived (`paid_after`) that
    the ledger no longer covers are unpaid again (their quick-pay code works, reminders resume).
    Returns their ids."""
    balance = ledger.balance(session, account_id)
    if balance <= 0:
        return []
    rows = session.connection().execute(
        select(Statement.id, Statement.amount_due, paid_since_query(account_id, Statement.last_entry_id)
               .label('paid_since'))
        .where(Statement.account_id == account_id, col(Statement.paid_at).is_not(None),
               col(Statement.paid_at) >= paid_after)).all()
    reopened = [row.id for row in rows if not covered(row, paid_since=int(row.paid_since), balance=balance)]
    if reopened:
        session.execute(update(Statement).where(col(Statement.id).in_(reopened)).values(paid_at=None))
    return reopened


def _summaries(session: Session, account_id: int, account_number: str) -> list[StatementSummary]:
    rows = session.connection().execute(
        select(Statement.id, Statement.statement_date, Statement.due_date, Statement.amount_due,
               Statement.new_balance, Statement.currency, Statement.paid_at,
               paid_since_query(account_id, Statement.last_entry_id).label('paid_since'))
        .where(Statement.account_id == account_id)
        .order_by(col(Statement.statement_date).desc(), col(Statement.id).desc())).all()
    if not rows:
        return []
    balance = ledger.balance(session, account_id)
    today = practice_today()
    return [StatementSummary(
        id=row.id, account_number=account_number, statement_date=row.statement_date, due_date=row.due_date,
        amount_due=row.amount_due, new_balance=row.new_balance, currency=row.currency,
        status=statement_status(row, paid_since=int(row.paid_since), balance=balance, on=today)) for row in rows]


def list_statements(session: Session, *, actor: Actor) -> list[StatementSummary]:
    """Every statement of every account the patient may act on, newest first."""
    relationships = account_relationships(session, actor.user_id)
    found: list[StatementSummary] = []
    for account_id, relationship in relationships.items():
        if relationship != 'self':
            require_account(session, actor, account_id, purpose='list_statements')
        number = session.connection().execute(select(GuarantorAccount.account_number)
                                              .where(GuarantorAccount.id == account_id)).scalar_one()
        found.extend(_summaries(session, account_id, number))
    return sorted(found, key=lambda item: (item.statement_date, item.id), reverse=True)


def get_statement(session: Session, *, actor: Actor, statement_id: int, purpose: str = 'view_statement') -> Statement:
    """The statement row, if the actor may see its account; otherwise NotFound (audited)."""
    statement = session.get(Statement, statement_id)
    if statement is None:
        audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='statement', entity_id=statement_id, outcome='not_found', source_ip=actor.ip)
        raise NotFound('We could not find that statement.')
    try:
        require_account(session, actor, statement.account_id, purpose=purpose)
    except NotFound:
        raise NotFound('We could not find that statement.') from None
    return statement


def statement_detail(session: Session, *, actor: Actor, statement_id: int,
                     purpose: str = 'view_statement') -> StatementDetail:
    statement = get_statement(session, actor=actor, statement_id=statement_id, purpose=purpose)
    account = session.get(GuarantorAccount, statement.account_id)
    assert account is not None
    summary = next(item for item in _summaries(session, account.id, account.account_number)
                   if item.id == statement.id)
    previous_date = session.connection().execute(
        select(func.max(Statement.statement_date))
        .where(Statement.account_id == account.id, Statement.id != statement.id,
               Statement.last_entry_id <= statement.first_entry_id)).scalar_one_or_none()
    entries = list(session.exec(select(LedgerEntry).where(
        LedgerEntry.account_id == account.id, LedgerEntry.id > statement.first_entry_id,
        LedgerEntry.id <= statement.last_entry_id).order_by(col(LedgerEntry.id))))
    totals = Totals(previous_balance=statement.previous_balance, new_charges=statement.new_charges,
                    refunds=statement.refunds, insurance_payments=statement.insurance_payments,
                    adjustments=statement.adjustments, patient_payments=statement.patient_payments)
    address = [line for line in (account.address_line1, account.address_line2,
                                 f'{account.city}, {account.state} {account.postal_code}'.strip(', '))
               if line.strip()]
    return StatementDetail(
        summary=summary, account_id=account.id,
        guarantor_name=f'{account.guarantor_first_name} {account.guarantor_last_name}',
        guarantor_address=address, totals=totals, quick_pay_code=statement.quick_pay_code,
        previous_statement_date=previous_date, visits=_visits(session, statement, entries),
        credits=_credits(session, entries), practice=practice(session))


def find_statement_detail(session: Session, *, actor: Actor, statement_id: int,
                          purpose: str = 'view_statement') -> StatementDetail | None:
    """Like statement_detail, but None instead of NotFound, so a write session keeps the audit
    event of the refusal (raising would roll it back)."""
    try:
        return statement_detail(session, actor=actor, statement_id=statement_id, purpose=purpose)
    except NotFound:
        return None


def _credits(session: Session, entries: list[LedgerEntry]) -> list[Credit]:
    """Payments, refunds (with why, in plain words) and credits not tied to a charge line."""
    names = {LedgerKind.patient_payment: 'Payment — thank you', LedgerKind.refund: 'Refund to you',
             LedgerKind.write_off: 'Balance written off', LedgerKind.contractual_adjustment: 'Account credit',
             LedgerKind.correction: 'Correction', LedgerKind.insurance_payment: 'Insurance payment'}
    refunds = [entry.refund_id for entry in entries if entry.kind == LedgerKind.refund and entry.refund_id]
    reasons = dict(session.connection().execute(select(Refund.id, Refund.reason)
                                                .where(col(Refund.id).in_(refunds))).all()) if refunds else {}

    def description(entry: LedgerEntry) -> str:
        name = names.get(entry.kind, 'Account activity')
        return f'{name}: {plain_reason(reasons[entry.refund_id])}' if entry.refund_id in reasons else name

    return [Credit(entry.effective_date, description(entry), entry.amount)
            for entry in entries if entry.charge_id is None and entry.kind != LedgerKind.charge]


def _visits(session: Session, statement: Statement, entries: list[LedgerEntry]) -> list[Visit]:
    charge_ids = sorted({entry.charge_id for entry in entries if entry.charge_id is not None})
    if not charge_ids:
        return []
    new_charges = {entry.charge_id for entry in entries if entry.kind == LedgerKind.charge}
    history: dict[int, list[LedgerEntry]] = defaultdict(list)  # each line's whole story up to this statement
    for entry in session.exec(select(LedgerEntry).where(col(LedgerEntry.charge_id).in_(charge_ids),
                                                        LedgerEntry.id <= statement.last_entry_id)):
        history[entry.charge_id].append(entry)
    shares: dict[int, list[Adjustment]] = defaultdict(list)
    for adjustment in session.exec(select(ClaimAdjustment).where(col(ClaimAdjustment.charge_id).in_(charge_ids),
                                                                 ClaimAdjustment.group_code == 'PR')):
        meaning = explain_adjustment('PR', adjustment.carc_code)
        remark = explain_remark(adjustment.rarc_code) if adjustment.rarc_code else ''
        shares[adjustment.charge_id].append(Adjustment(f'PR-{adjustment.carc_code}',
                                                       f'{meaning} {remark}'.strip(), adjustment.amount))
    questions = dict(session.connection().execute(
        select(MessageThread.charge_id, func.max(MessageThread.id))
        .where(col(MessageThread.charge_id).in_(charge_ids), MessageThread.status == ThreadStatus.open,
               col(MessageThread.kind).in_(QUESTION_KINDS))
        .group_by(MessageThread.charge_id)).all())
    rows = session.exec(
        select(Charge, Encounter.date_of_service, Patient.first_name, Patient.last_name, Provider.first_name,
               Provider.last_name, Provider.credentials, Location.name)
        .join(Encounter, Encounter.id == Charge.encounter_id).join(Patient, Patient.id == Charge.patient_id)
        .join(Provider, Provider.id == Encounter.provider_id).join(Location, Location.id == Encounter.location_id)
        .where(col(Charge.id).in_(charge_ids))
        .order_by(Encounter.date_of_service, Charge.encounter_id, Charge.id)).all()
    encounter_ids = {row[0].encounter_id for row in rows}
    pending = set(session.connection().execute(
        select(Claim.encounter_id).where(col(Claim.encounter_id).in_(encounter_ids),
                                         col(Claim.status).in_(PENDING_CLAIMS))).scalars())
    visits: dict[int, Visit] = {}
    for charge, dos, first, last, provider_first, provider_last, credentials, location in rows:
        visit = visits.get(charge.encounter_id)
        if visit is None:
            visit = visits[charge.encounter_id] = Visit(
                date_of_service=dos, patient_name=f'{first} {last}',
                provider_name=f'{provider_first} {provider_last}, {credentials}', location_name=location, lines=[],
                insurance_pending=charge.encounter_id in pending)
        line = _line(charge, history[charge.id], shares[charge.id], questions.get(charge.id),
                     billed_earlier=charge.id not in new_charges)
        visit.lines.append(line)
    return list(visits.values())


def _line(charge: Charge, history: list[LedgerEntry], shares: list[Adjustment], thread_id: int | None, *,
          billed_earlier: bool) -> ChargeLine:
    billed = sum(entry.amount for entry in history if _kind(entry) == LedgerKind.charge) or charge.amount
    insurance = -sum(entry.amount for entry in history if _kind(entry) == LedgerKind.insurance_payment)
    by_code: dict[str, int] = defaultdict(int)
    for entry in history:
        if _kind(entry) in ADJUSTING:
            by_code[entry.carc_code or ''] -= entry.amount
    adjustments = [Adjustment(code or 'Adjustment', _meaning(code), amount)
                   for code, amount in by_code.items() if amount]
    owes = billed - insurance - sum(item.amount for item in adjustments)
    return ChargeLine(charge_id=charge.id, code=charge.code, description=charge.description, units=charge.units,
                      billed=billed, insurance_paid=insurance, adjustments=adjustments, patient_owes=owes,
                      your_share=shares, question_thread_id=thread_id, billed_earlier=billed_earlier)


def _kind(entry: LedgerEntry) -> str:
    if entry.kind == LedgerKind.correction:  # a correction counts in the kind it corrects
        return entry.corrects_kind or LedgerKind.contractual_adjustment
    return entry.kind


def _meaning(code: str) -> str:
    """'CO-45' -> its plain meaning from the CARC list (portal/reference/carc.csv)."""
    group, _, carc = code.partition('-')
    if not carc:
        return 'An adjustment by the billing office. You do not owe this part.'
    return explain_adjustment(group, carc) if group in GROUP_CODES else f'Adjustment (reason code {code}).'
