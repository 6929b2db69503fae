"""The account page a clerk answers the phone with (/staff/accounts/{id}): who (guarantor, contact,
preferences, patients), what is due now and why (the patient's own rule: services/home.py), the ledger
in words with its running balance, statements, payments, plan, coverage and claims, messages, staff
notes, flags and holds, and this account's audit trail. One staff view, audited once (staff_view_account)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session, col

from portal.auth.permissions import Actor
from portal.models import (
    AccountAccess,
    AccountFlag,
    AuditEvent,
    Claim,
    Coverage,
    FlagKind,
    GuarantorAccount,
    MessageThread,
    Patient,
    Payer,
    User,
)
from portal.models.desk import AccountNote, AdjustmentRequest, AdjustmentStatus
from portal.models.messaging import CATEGORY_LABELS
from portal.services.account_flags import in_force
from portal.services.desk.ledger_lines import LedgerLine, ledger_lines
from portal.services.home import AccountHome, account_home
from portal.services.payments import staff
from portal.services.person_names import full_name
from portal.services.practice import practice_today
from portal.services.statement_status import StatementSummary
from portal.services.statements import _summaries

CLAIM_WORDS = {'created': 'Not sent yet', 'submitted': 'Sent to insurance', 'accepted': 'With insurance',
               'in_process': 'With insurance', 'paid': 'Paid', 'partially_paid': 'Partly paid', 'denied': 'Denied',
               'appealed': 'Appealed', 'reprocessed': 'Decided again'}
THREAD_WORDS = {'open': 'Waiting for the office', 'waiting_on_patient': 'Waiting for the patient',
                'resolved': 'Resolved'}
RELATIONSHIP_WORDS = {'self': 'Guarantor', 'spouse': 'Spouse', 'child': 'Child', 'other': 'Other'}
ACCESS_WORDS = {'self': 'account holder', 'parent': 'parent', 'guardian': 'guardian',
                'authorized billing proxy': 'authorized billing proxy'}
AUDIT_WORDS = {'staff_view_account': 'Viewed the account', 'search_accounts': 'Searched',
               'account_note_added': 'Added a note', 'flag_raised': 'Put a flag or hold',
               'flag_resolved': 'Cleared a flag', 'adjustment_requested': 'Asked for an adjustment',
               'adjustment_posted': 'Posted an adjustment', 'adjustment_approved': 'Approved an adjustment',
               'adjustment_declined': 'Declined an adjustment', 'correction_posted': 'Posted a correction',
               'refund_payment': 'Refunded a payment', 'record_offline_payment': 'Recorded cash or a check',
               'account_created': 'Opened the account', 'export_worklist': 'Exported a worklist',
               'resend_statement': 'Resent a statement', 'adjustment_self_approved': 'Posted own adjustment '
               '(only admin, confirmed twice)'}


@dataclass(frozen=True)
class PatientLine:
    id: int
    name: str
    date_of_birth: date
    mrn: str
    relationship: str


@dataclass(frozen=True)
class FlagLine:
    id: int
    kind: str  # in words
    kind_value: str
    reason: str
    since: datetime
    expires_on: date | None
    by: str


@dataclass(frozen=True)
class NoteLine:
    at: datetime
    by: str
    body: str


@dataclass(frozen=True)
class CoverageLine:
    patient: str
    payer: str
    plan: str
    member_id_last4: str
    priority: int
    active: bool


@dataclass(frozen=True)
class ClaimLine:
    number: str
    patient: str
    status: str
    billed: int
    paid: int
    patient_owes: int
    submitted: datetime


@dataclass(frozen=True)
class ThreadLine:
    id: int
    subject: str
    category: str
    status: str
    last_at: datetime


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    by: str
    action: str
    outcome: str


@dataclass(frozen=True)
class PendingAdjustment:
    id: int
    amount: int
    reason: str
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True)
class DeskAccount:
    money: staff.StaffAccount  # balance, processing, waiting, payments (and what the refund dialog needs)
    home: AccountHome  # what is due now, by the patient's own rule
    why: tuple[str, ...]  # how the amount due comes from the balance, in sentences
    address: tuple[str, ...]
    phone: str
    email: str
    preferences: tuple[str, ...]
    sign_ins: tuple[str, ...]  # who can sign in to this account, and as what
    patients: tuple[PatientLine, ...]
    ledger: tuple[LedgerLine, ...]  # oldest first, with the running balance
    statements: tuple[StatementSummary, ...]
    coverage: tuple[CoverageLine, ...]
    claims: tuple[ClaimLine, ...]
    threads: tuple[ThreadLine, ...]
    notes: tuple[NoteLine, ...]
    flags: tuple[FlagLine, ...]
    pending: tuple[PendingAdjustment, ...]
    audit: tuple[AuditLine, ...]


def desk_account(session: Session, /, *, actor: Actor, account_id: int) -> DeskAccount:
    """Everything the account page shows; NotFound for anyone but staff (or no such account)."""
    money = staff.staff_account(session, actor, account_id)  # checks staff + the account, audits the view
    account = session.get(GuarantorAccount, account_id)
    assert account is not None
    home = account_home(session, actor=actor, account_id=account_id, relationship='staff')
    names = _names(session)
    connection = session.connection()
    patients = session.scalars(select(Patient).where(Patient.account_id == account_id).order_by(col(Patient.id))) \
        .all()
    by_patient = {p.id: full_name(p.first_name, p.last_name) for p in patients}
    return DeskAccount(
        money=money, home=home, why=_why(home),
        address=tuple(line for line in (account.address_line1, account.address_line2,
                                        ' '.join(p for p in (f'{account.city},' if account.city else '',
                                                             account.state, account.postal_code) if p)) if line),
        phone=account.phone or '', email=account.email or '',
        preferences=(('Paperless statements (email)' if account.paperless else 'Paper statements by mail'),),
        sign_ins=tuple(f'{email} ({ACCESS_WORDS.get(relationship, "other")})'
                       for email, relationship in connection.execute(
                           select(User.email, AccountAccess.relationship).join(User, User.id == AccountAccess.user_id)
                           .where(AccountAccess.account_id == account_id, col(AccountAccess.revoked_at).is_(None)))),
        patients=tuple(PatientLine(p.id, by_patient[p.id], p.date_of_birth, p.mrn,
                                   RELATIONSHIP_WORDS.get(p.relationship_to_guarantor, 'Other')) for p in patients),
        ledger=tuple(ledger_lines(session, account_id)),
        statements=tuple(_summaries(session, account_id, account.account_number)),
        coverage=tuple(CoverageLine(by_patient.get(row.patient_id, ''), row.name, row.plan_name, row.member_id[-4:],
                                    row.priority, row.status == 'active') for row in connection.execute(
            select(Coverage.patient_id, Payer.name, Coverage.plan_name, Coverage.member_id, Coverage.priority,
                   Coverage.status).join(Payer, Payer.id == Coverage.payer_id)
            .where(col(Coverage.patient_id).in_(list(by_patient) or [0])).order_by(col(Coverage.priority)))),
        claims=tuple(ClaimLine(c.claim_number, by_patient.get(c.patient_id, ''), CLAIM_WORDS.get(c.status, 'Other'),
                               c.billed_amount, c.paid_amount, c.patient_responsibility, c.submitted_at)
                     for c in session.scalars(select(Claim).where(Claim.account_id == account_id)
                                           .order_by(col(Claim.submitted_at).desc()).limit(50))),
        threads=tuple(ThreadLine(t.id, t.subject, CATEGORY_LABELS.get(t.category, 'Other'),
                                 THREAD_WORDS.get(t.status, 'Open'), t.last_message_at)
                      for t in session.scalars(select(MessageThread).where(MessageThread.account_id == account_id)
                                            .order_by(col(MessageThread.last_message_at).desc()).limit(20))),
        notes=tuple(NoteLine(n.created_at, names.get(n.created_by_user_id, 'Unknown'), n.body)
                    for n in session.scalars(select(AccountNote).where(AccountNote.account_id == account_id)
                                          .order_by(col(AccountNote.id).desc()))),
        flags=tuple(FlagLine(f.id, FlagKind(f.kind).label, str(f.kind), f.reason, f.created_at, f.expires_on,
                             names.get(f.created_by_user_id, 'The system'))
                    for f in session.scalars(select(AccountFlag).where(AccountFlag.account_id == account_id,
                                                                    in_force(practice_today(session)))
                                          .order_by(col(AccountFlag.id)))),
        pending=tuple(PendingAdjustment(r.id, r.amount, r.reason.label, names.get(r.requested_by_user_id, ''),
                                        r.requested_at)
                      for r in session.scalars(select(AdjustmentRequest).where(
                          AdjustmentRequest.account_id == account_id,
                          AdjustmentRequest.status == AdjustmentStatus.pending))),
        audit=tuple(AuditLine(e.at, names.get(e.actor_user_id, e.actor_role or 'The system'),
                              AUDIT_WORDS.get(e.action, e.action.replace('_', ' ').capitalize()), e.outcome)
                    for e in session.scalars(select(AuditEvent).where(AuditEvent.account_id == account_id)
                                          .order_by(col(AuditEvent.id).desc()).limit(50))))


def _names(session: Session) -> dict[int | None, str]:
    """Staff and admins by id ('Dana Kim'): who wrote a note, raised a flag, did what in the audit trail."""
    rows = session.connection().execute(select(User.id, User.first_name, User.last_name, User.email)
                                        .where(col(User.role).in_(['staff', 'admin']))).all()
    return {row.id: full_name(row.first_name, row.last_name) or row.email for row in rows}


def _why(home: AccountHome) -> tuple[str, ...]:
    from portal.money import format_money
    money = lambda minor: format_money(minor, home.currency)  # noqa: E731
    lines = [f'Balance {money(home.balance)}.']
    if home.processing:
        lines.append(f'{money(home.processing)} in payments still processing is not asked for again.')
    if home.waiting:
        lines.append(f'{money(home.waiting)} is on claims insurance has not answered yet: not asked for until it does.')
    if home.plan is not None and home.plan.next_amount:
        due = f' on {home.plan.next_due_date:%b %-d, %Y}' if home.plan.next_due_date else ''
        lines.append(f'On a payment plan: the next installment, {money(home.plan.next_amount)}{due}, is what is due '
                     f'({money(home.plan.remaining)} left on the plan).')
        if home.plan.apart:
            lines.append(f'{money(home.plan.apart)} is owed apart from the plan: a visit it left out while '
                         'insurance had it, or a charge since it was signed.')
    elif home.latest_statement is not None and home.amount_due:
        statement = home.latest_statement
        lines.append(f'Latest statement of {statement.statement_date:%b %-d, %Y}: due {statement.due_date:%b %-d, %Y}'
                     f' ({"overdue" if statement.status == "overdue" else statement.status}).')
    if home.balance < 0:
        lines.append(f'The account holds a credit of {money(-home.balance)}: a refund is due.')
    lines.append(f'Due now: {money(home.amount_due)}.')
    return tuple(lines)
