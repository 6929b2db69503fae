"""The worklists /staff/accounts opens with: past due by aging bucket, open questions and billing disputes,
credit balances (refunds due), plans past due, accounts on hold. Each is one SQL query of (account, what,
since) joined to the guarantor and the balance (read per row from the ledger's covering index), sorted and
paged in SQL; the CSV of a whole list goes through interop/csv_export.to_csv and is audited."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import String, case, cast, func, literal, select, union_all
from sqlmodel import Session, col

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.interop.csv_export import to_csv
from portal.models import (
    AccountFlag,
    FlagKind,
    GuarantorAccount,
    LedgerEntry,
    MessageThread,
    PaymentPlan,
    PlanStatus,
    Statement,
    ThreadCategory,
    ThreadStatus,
)
from portal.services.account_flags import in_force
from portal.services.person_names import guarantor_name
from portal.services.practice import practice, practice_today

LISTS = {'past_due': 'Past due', 'questions': 'Questions and disputes', 'credits': 'Credit balances',
         'plans': 'Plans past due', 'holds': 'On hold'}
SORTS = {'since': 'Oldest first', 'balance': 'Largest balance', 'name': 'Guarantor name'}
PAGE_SIZE = 25
CSV_MAX = 10_000
BUCKETS = ((30, '1–30 days'), (60, '31–60 days'), (90, '61–90 days'))
HOLDS = (FlagKind.statement_hold, FlagKind.collections_hold, FlagKind.financial_assistance)


@dataclass(frozen=True)
class WorkRow:
    account_id: int
    account_number: str
    guarantor: str
    balance: int
    currency: str
    what: str  # '61–90 days past due', 'Dispute a charge', 'Statement hold: called about the bill'
    since: date


@dataclass(frozen=True)
class Worklist:
    name: str
    title: str
    sort: str
    page: int
    pages: int
    total: int
    rows: tuple[WorkRow, ...]
    counts: dict[str, int]  # every list's size, for the tabs


def _balance():  # noqa: ANN202  (the account's balance, one row at a time from the covering index)
    return (select(func.coalesce(func.sum(LedgerEntry.amount), 0))
            .where(LedgerEntry.account_id == GuarantorAccount.id).correlate(GuarantorAccount).scalar_subquery())


def _source(name: str, today: date):  # noqa: ANN202  (a subquery of account_id, what, since)
    # since: a date, or an instant (UTC) that _row turns into the practice's calendar day
    if name == 'past_due':
        oldest = (select(Statement.account_id.label('account_id'), func.min(Statement.due_date).label('since'))
                  .where(col(Statement.paid_at).is_(None), Statement.amount_due > 0, Statement.due_date < today)
                  .group_by(col(Statement.account_id)).subquery())
        edges = [today - timedelta(days=limit) for limit, _ in BUCKETS]
        what = case(*[(oldest.c.since >= edge, literal(f'{label} past due'))
                      for edge, (_, label) in zip(edges, BUCKETS, strict=True)],
                    else_=literal('Over 90 days past due'))
        return select(oldest.c.account_id, what.label('what'), oldest.c.since).subquery(), 'positive'
    if name == 'questions':
        threads = select(MessageThread.account_id.label('account_id'),
                         cast(MessageThread.subject, String).label('what'),
                         MessageThread.last_message_at.label('since')).where(
            MessageThread.status == ThreadStatus.open,
            col(MessageThread.category).in_([ThreadCategory.billing_question, ThreadCategory.dispute_charge]))
        disputes = select(AccountFlag.account_id.label('account_id'),
                          (literal('Billing dispute: ') + AccountFlag.reason).label('what'),
                          AccountFlag.created_at.label('since')).where(
            AccountFlag.kind == FlagKind.dispute, in_force(today))
        return union_all(threads, disputes).subquery(), None
    if name == 'credits':
        last_moved = (select(func.max(LedgerEntry.effective_date)).where(LedgerEntry.account_id == GuarantorAccount.id)
                      .correlate(GuarantorAccount).scalar_subquery())  # the credit is as old as the last movement
        credit = select(GuarantorAccount.id.label('account_id'), literal('Credit: a refund is due').label('what'),
                        last_moved.label('since')).where(_balance() < 0)
        return credit.subquery(), None
    if name == 'plans':
        return select(PaymentPlan.account_id.label('account_id'), literal('Plan past due').label('what'),
                      PaymentPlan.created_at.label('since')) \
            .where(PaymentPlan.status == PlanStatus.delinquent).subquery(), None
    if name == 'holds':
        return select(AccountFlag.account_id.label('account_id'), AccountFlag.kind.label('what'),
                      AccountFlag.created_at.label('since')).where(
            col(AccountFlag.kind).in_(HOLDS), in_force(today)).subquery(), None
    raise ValueError(name)


def _query(name: str, today: date):  # noqa: ANN202
    source, needs = _source(name, today)
    balance = _balance().label('balance')
    query = (select(source.c.account_id, source.c.what, source.c.since, GuarantorAccount.account_number,
                    GuarantorAccount.guarantor_first_name, GuarantorAccount.guarantor_last_name,
                    GuarantorAccount.currency, balance)
             .join(GuarantorAccount, GuarantorAccount.id == source.c.account_id))
    if needs == 'positive':
        query = query.where(_balance() > 0)
    return query, source


def _order(query, source, sort: str):  # noqa: ANN001, ANN202
    if sort == 'balance':
        return query.order_by(_balance().desc(), source.c.account_id)
    if sort == 'name':
        return query.order_by(col(GuarantorAccount.last_key), col(GuarantorAccount.first_key), source.c.account_id)
    return query.order_by(source.c.since, source.c.account_id)


def _since(value: object, day_of: Callable[[datetime], date]) -> date:
    """The practice's calendar day of a row's `since`: a date as it is; an instant (as stored, or as text
    when a union hands it back untyped) its day in the practice's zone, not in UTC."""
    if isinstance(value, datetime):
        return day_of(value)
    if isinstance(value, date):
        return value
    text = str(value)
    return date.fromisoformat(text) if len(text) == 10 else day_of(datetime.fromisoformat(text))


def _row(row, day_of: Callable[[datetime], date]) -> WorkRow:  # noqa: ANN001
    what = FlagKind(row.what).label if row.what in FlagKind._value2member_map_ else row.what
    since = _since(row.since, day_of)
    return WorkRow(row.account_id, row.account_number, guarantor_name(row), int(row.balance), row.currency, what, since)


def worklist(session: Session, /, *, actor: Actor, name: str = 'past_due', sort: str = 'since',
             page: int = 1) -> Worklist:
    require_staff(session, actor, purpose='worklist')
    name = name if name in LISTS else 'past_due'
    sort = sort if sort in SORTS else 'since'
    today = practice_today(session)
    connection = session.connection()
    counts = {}
    for each in LISTS:
        query, _ = _query(each, today)
        counts[each] = int(connection.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    total = counts[name]
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    query, source = _query(name, today)
    rows = connection.execute(_order(query, source, sort).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    audit.record(session, action='view_worklist', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='worklist', entity_id=name, source_ip=actor.ip, detail=f'page {page}, {len(rows)} rows')
    return Worklist(name=name, title=LISTS[name], sort=sort, page=page, pages=pages, total=total,
                    rows=tuple(_row(r, practice(session).day_of) for r in rows), counts=counts)


def worklist_csv(session: Session, /, *, actor: Actor, name: str, sort: str = 'since') -> tuple[str, str]:
    """(file name, CSV text) of a whole worklist (at most CSV_MAX rows); the export is audited."""
    require_staff(session, actor, purpose='export_worklist')
    name = name if name in LISTS else 'past_due'
    today = practice_today(session)
    query, source = _query(name, today)
    day_of = practice(session).day_of
    rows = [_row(r, day_of) for r in session.connection().execute(_order(query, source, sort).limit(CSV_MAX)).all()]
    audit.record(session, action='export_worklist', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='worklist', entity_id=name, source_ip=actor.ip, detail=f'{len(rows)} rows')
    # money as whole minor units (a number to a spreadsheet, never a float)
    text = to_csv(('Account', 'Guarantor', 'Balance (cents)', 'Currency', 'What', 'Since'),
                  ((r.account_number, r.guarantor, r.balance, r.currency, r.what, r.since) for r in rows))
    return f'{name}-{today.isoformat()}.csv', text
