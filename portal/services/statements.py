"""What a patient sees of their statements: the list (paid, due or overdue) and one statement
itemized by visit, with what insurance paid and the plain meaning of each adjustment.

Every read takes the acting user and checks access to the statement's account
(`require_account`): a statement of another account is NotFound, and the attempt is audited, as
is every staff view. Callers use a write session so those audit events are kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.errors import NotFound
from portal.models import (
    GuarantorAccount,
    LedgerEntry,
    Statement,
)
from portal.services import payable
from portal.services.person_names import guarantor_name
from portal.services.practice import Practice, practice, practice_today
from portal.services.statement_lines import (  # noqa: F401  (re-exported: pages and documents read them here)
    QUESTION_CATEGORIES,
    Adjustment,
    ChargeLine,
    Credit,
    Visit,
    credits_of,
    earlier_open_visits,
    statement_visits,
)
from portal.services.statement_status import (  # noqa: F401  (StatementSummary re-exported for pages)
    PlanDue,
    StatementSummary,
    plan_due,
    summary_columns,
    summary_of,
)
from portal.services.statement_totals import Totals


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
    earlier: list[Visit] = field(default_factory=list)  # billed on earlier statements and still open
    plan: PlanDue | None = None  # the account's plan, whose next installment is what is due

    @property
    def after_insurance_label(self) -> str:
        """The summary's last line (new balance - waiting for insurance): the amount due, or on a plan, whose
        installment is the amount due, what the plan spreads out (so two figures are never both "Amount due")."""
        return 'Payable over your plan' if self.summary.on_plan else 'Amount due'

    @property
    def still_open_title(self) -> str:
        """The heading over the charges billed before this statement and still open on it (`earlier`)."""
        return ('Still open from earlier statements' if self.previous_statement_date
                else 'Still open from before this statement')  # an account's first statement


def _summaries(session: Session, account_id: int, account_number: str,
               plan: PlanDue | None = None) -> list[StatementSummary]:
    """The account's statements, newest first, each with its standing now; `plan` is the account's
    `plan_due` when the caller has read it already."""
    rows = session.connection().execute(
        select(*summary_columns(account_id))
        .where(Statement.account_id == account_id)
        .order_by(col(Statement.statement_date).desc(), col(Statement.id).desc())).all()
    if not rows:
        return []
    money = payable.standing(session, account_id)
    plan = plan if plan is not None else plan_due(session, account_id)
    today = practice_today(session)
    return [summary_of(row, account_number=account_number, balance=money.balance, payable=money.now, plan=plan,
                       on=today, newest=index == 0) for index, row in enumerate(rows)]


def list_statements(session: Session, /, *, actor: Actor) -> tuple[StatementSummary, ...]:
    """Every statement of every account the patient may act on, newest first."""
    relationships = account_relationships(session, actor.user_id)
    found: list[StatementSummary] = []
    for account_id, relationship in relationships.items():
        if relationship != 'self':
            require_account(session, actor, account_id, purpose='list_statements')
        number = session.connection().execute(select(GuarantorAccount.account_number)
                                              .where(GuarantorAccount.id == account_id)).scalar_one()
        found.extend(_summaries(session, account_id, number))
    return tuple(sorted(found, key=lambda item: (item.statement_date, item.id), reverse=True))


def get_statement(session: Session, /, *, actor: Actor, statement_id: int,
                  purpose: str = 'view_statement') -> Statement:
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


def statement_detail(session: Session, /, *, actor: Actor, statement_id: int,
                     purpose: str = 'view_statement') -> StatementDetail:
    statement = get_statement(session, actor=actor, statement_id=statement_id, purpose=purpose)
    account = session.get(GuarantorAccount, statement.account_id)
    assert account is not None
    plan = plan_due(session, account.id)
    summary = next(item for item in _summaries(session, account.id, account.account_number, plan)
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
    visits = statement_visits(session, statement, entries)
    address = [line for line in (account.address_line1, account.address_line2,
                                 f'{account.city}, {account.state} {account.postal_code}'.strip(', '))
               if line.strip()]
    return StatementDetail(
        summary=summary, account_id=account.id,
        guarantor_name=guarantor_name(account),
        guarantor_address=address, totals=totals, quick_pay_code=statement.quick_pay_code,
        previous_statement_date=previous_date, visits=visits, credits=credits_of(session, entries),
        practice=practice(session), plan=plan if summary.on_plan else None,
        earlier=earlier_open_visits(session, statement, {line.charge_id for visit in visits
                                                         for line in visit.lines}))


def find_statement_detail(session: Session, /, *, actor: Actor, statement_id: int,
                          purpose: str = 'view_statement') -> StatementDetail | None:
    """Like statement_detail, but None instead of NotFound, so a write session keeps the audit
    event of the refusal (raising would roll it back)."""
    try:
        return statement_detail(session, actor=actor, statement_id=statement_id, purpose=purpose)
    except NotFound:
        return None


