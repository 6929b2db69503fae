"""/staff/dashboard/rows: the rows behind a plan, adoption or KPI figure of the dashboard (plans, autopay
tries, accounts, decided claims, answered patient messages, months of service), paged, with the numerator and
denominator summed over the very rows listed (so they equal the tile's figure), and their CSV (audited).

A page is LIMIT/OFFSET of the figure's ordered query and the numerator and denominator one aggregate query over
the same rows, so a page builds PAGE_SIZE rows however many are behind the figure; the CSV reads them in chunks.
A figure of many rows (accounts, decided claims, messages) has a scope, its rows' ids without the joins shown,
read from an index where one holds them: the totals and a page's ids come from it, and only the page's rows are
joined to their accounts (a deferred join)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, func, literal
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import practice_day, practice_time
from portal.interop.csv_export import csv_chunks
from portal.models import (
    Claim,
    ClaimStatus,
    GuarantorAccount,
    Message,
    MessageThread,
    PaymentAttempt,
    PaymentPlan,
    PlanStatus,
)
from portal.services.dashboard import (
    Filters,
    _utc,
    decided_claims,
    first_reply,
    hours_of,
    monthly_patient_query,
    patient_messages,
    registered_accounts,
)
from portal.services.dashboard_drill import _decimal, _filters_text
from portal.services.person_names import guarantor_name
from portal.services.practice import practice_today, zone_name
from portal.services.sql_time import seconds_between

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cell:
    text: str
    minor: int | None = None  # money: shown formatted, a number in the CSV


@dataclass(frozen=True)
class Row:
    account_id: int | None  # the account the row opens, if any
    account: str  # 'A-000123 · Pat Doe' or a month
    cells: list[Cell]
    counted: bool  # in the numerator


@dataclass(frozen=True)
class RowsDrill:
    figure: str
    title: str
    as_of: date
    start: date
    end: date
    headers: list[str]
    numerator_label: str
    numerator: float
    denominator_label: str | None  # None: a count, not a rate
    denominator: float
    money: bool  # the numerator and denominator are money
    rows_count: int
    page: int
    pages: int
    rows: list[Row]

    @property
    def value(self) -> float | None:
        if self.denominator_label is None:
            return self.numerator
        return self.numerator * 100 / self.denominator if self.denominator else None


@dataclass(frozen=True)
class _Figure:
    title: str
    headers: list[str]
    numerator_label: str
    denominator_label: str | None
    money: bool
    # (filters, start, end, zone) -> the figure's rows, ordered (a page is LIMIT/OFFSET of it), each with its
    # share of the numerator and the denominator as the columns `numerator` and `denominator`; the period's days
    # are the practice's (`zone`: its IANA time zone)
    query: Callable[[Filters, date, date, str], Select]
    row: Callable[[Any, str], Row]  # one row of the query as shown (its dates on the practice's clock, `zone`)
    # a denominator that is not the rows' (every account, for adoption and paperless), as a scalar query
    denominator: Callable[[], Select] | None = None
    numerator_of: Callable[[int], float] = int  # the summed numerator as the figure shows it
    # for a figure of many rows behind joins: its rows as (`id`, `numerator`, `denominator`) without the joins
    # shown, in the page's order, for the totals and a page's ids; `shown(ids)` gives those rows as shown
    scope: Callable[[Filters, date, date, str], Select] | None = None
    shown: Callable[[Select], Select] | None = None


def _account(row) -> str:  # noqa: ANN001
    return f'{row.account_number} · {guarantor_name(row)}'


ACCOUNT_COLUMNS = (GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
                   GuarantorAccount.guarantor_last_name)
ONE, NOTHING = literal(1), literal(0)


def _counted(condition, amount=ONE):  # noqa: ANN001, ANN202
    return case((condition, amount), else_=0)


def _plans(status: PlanStatus) -> Callable[[Filters, date, date, str], Select]:
    def query(filters: Filters, start: date, end: date, zone: str) -> Select:  # noqa: ARG001 (counted today)
        return (select(PaymentPlan.id, PaymentPlan.account_id, PaymentPlan.status, PaymentPlan.created_at,
                       *ACCOUNT_COLUMNS, ONE.label('numerator'), NOTHING.label('denominator'))
                .join(GuarantorAccount, GuarantorAccount.id == PaymentPlan.account_id)
                .where(PaymentPlan.status == status).order_by(col(PaymentPlan.id)))
    return query


def _plan_row(row, zone: str) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [Cell(f'Plan {row.id}'), Cell(str(row.status).replace('_', ' ')),
                                               Cell(practice_day(row.created_at, zone=zone).isoformat())], True)


def _autopay(filters: Filters, start: date, end: date, zone: str) -> Select:  # noqa: ARG001 (tries: accounts)
    succeeded = PaymentAttempt.status == 'succeeded'
    return (select(PaymentAttempt.id, PaymentAttempt.account_id, PaymentAttempt.target, PaymentAttempt.amount,
                   PaymentAttempt.status, PaymentAttempt.created_at, PaymentAttempt.error_message, *ACCOUNT_COLUMNS,
                   _counted(succeeded).label('numerator'), ONE.label('denominator'))
            .join(GuarantorAccount, GuarantorAccount.id == PaymentAttempt.account_id)
            .where(col(PaymentAttempt.target).like('installment%try-%'),
                   col(PaymentAttempt.status).in_(['succeeded', 'failed']),
                   PaymentAttempt.created_at >= _utc(start, zone),
                   PaymentAttempt.created_at < _utc(end + timedelta(days=1), zone))
            .order_by(col(PaymentAttempt.created_at), col(PaymentAttempt.id)))


def _autopay_row(row, zone: str) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [
        Cell(practice_day(row.created_at, zone=zone).isoformat()), Cell(row.target), Cell('', row.amount),
        Cell(str(row.status)), Cell(row.error_message)], str(row.status) == 'succeeded')


def _account_scope(paperless: bool) -> Callable[[Filters, date, date, str], Select]:
    """The accounts with a sign-in (or paperless) as (`id`, `numerator`, `denominator`), in the order they were
    opened (account id: the access index alone gives a page of accounts with a sign-in)."""
    def scope(filters: Filters, start: date, end: date, zone: str) -> Select:  # noqa: ARG001 (counted today)
        if paperless:
            return (select(col(GuarantorAccount.id).label('id'), ONE.label('numerator'),
                           NOTHING.label('denominator'))
                    .where(GuarantorAccount.paperless == True).order_by(col(GuarantorAccount.id)))  # noqa: E712
        registered = registered_accounts().subquery()
        return (select(registered.c.id.label('id'), ONE.label('numerator'), NOTHING.label('denominator'))
                .order_by(registered.c.id))
    return scope


def _accounts_shown(ids: Select) -> Select:
    return (select(GuarantorAccount.id, GuarantorAccount.paperless, *ACCOUNT_COLUMNS)
            .where(col(GuarantorAccount.id).in_(ids)).order_by(col(GuarantorAccount.id)))


def _accounts(paperless: bool) -> Callable[[Filters, date, date, str], Select]:
    def query(filters: Filters, start: date, end: date, zone: str) -> Select:
        return _accounts_shown(_ids(_account_scope(paperless)(filters, start, end, zone)).order_by(None))
    return query


def _every_account() -> Select:
    return select(func.count()).select_from(GuarantorAccount)


def _account_row(row, zone: str) -> Row:  # noqa: ANN001, ARG001 (no dates)
    return Row(row.id, _account(row), [Cell('paperless' if row.paperless else 'paper statements')], True)


def _claim_scope(dollars: bool) -> Callable[[Filters, date, date, str], Select]:
    """The decided claims behind a denial rate as (`id`, `numerator`, `denominator`), in the page's order, read
    from the claim index alone when no filter needs the visit or the coverage."""
    def scope(filters: Filters, start: date, end: date, zone: str) -> Select:
        amount = Claim.billed_amount if dollars else ONE
        return (decided_claims(filters, start, end, col(Claim.id).label('id'),
                               _counted(Claim.status == ClaimStatus.denied, amount).label('numerator'),
                               amount.label('denominator'), zone=zone)
                .order_by(col(Claim.adjudicated_at), col(Claim.id)))
    return scope


def _claims_shown(ids: Select) -> Select:
    """The claims of these ids (a page of a scope) with their accounts, in the page's order."""
    return (select(Claim.id, Claim.claim_number, Claim.account_id, Claim.status, Claim.billed_amount,
                   Claim.adjudicated_at, *ACCOUNT_COLUMNS)
            .join(GuarantorAccount, GuarantorAccount.id == Claim.account_id)
            .where(col(Claim.id).in_(ids)).order_by(col(Claim.adjudicated_at), col(Claim.id)))


def _claims(dollars: bool) -> Callable[[Filters, date, date, str], Select]:
    def query(filters: Filters, start: date, end: date, zone: str) -> Select:
        return _claims_shown(_ids(_claim_scope(dollars)(filters, start, end, zone)).order_by(None))
    return query


def _ids(scope: Select) -> Select:
    """A scope's `id` column alone (its filters, order and any LIMIT/OFFSET kept)."""
    return scope.with_only_columns(scope.selected_columns.id)


def _claim_row(row, zone: str) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [
        Cell(row.claim_number), Cell(practice_day(row.adjudicated_at, zone=zone).isoformat()),
        Cell(str(row.status).replace('_', ' ')), Cell('', row.billed_amount)], row.status == ClaimStatus.denied)


def _response_scope(filters: Filters, start: date, end: date, zone: str) -> Select:  # noqa: ARG001 (to accounts)
    """The patient messages of the period as (`id`, `numerator` seconds to the first reply, `denominator` 1 if
    answered), in the page's order."""
    asked = patient_messages(start, end, zone).subquery()
    return (select(asked.c.id, seconds_between(asked.c.replied, asked.c.created_at).label('numerator'),
                   _counted(asked.c.replied.is_not(None)).label('denominator'))
            .order_by(asked.c.created_at, asked.c.id))


def _responses_shown(ids: Select) -> Select:
    """These patient messages with their first reply and account, in the page's order."""
    replied = first_reply()
    return (select(Message.id, Message.thread_id, Message.created_at, replied.label('replied'),
                   seconds_between(replied, Message.created_at).label('numerator'), MessageThread.account_id,
                   *ACCOUNT_COLUMNS)
            .join(MessageThread, MessageThread.id == Message.thread_id)
            .join(GuarantorAccount, GuarantorAccount.id == MessageThread.account_id)
            .where(col(Message.id).in_(ids)).order_by(col(Message.created_at), col(Message.id)))


def _responses(filters: Filters, start: date, end: date, zone: str) -> Select:
    return _responses_shown(_ids(_response_scope(filters, start, end, zone)).order_by(None))


def _response_row(row, zone: str) -> Row:  # noqa: ANN001
    at = lambda moment: f'{practice_time(moment, zone=zone):%Y-%m-%d %H:%M}'  # noqa: E731  (the practice's clock)
    return Row(row.account_id, _account(row), [
        Cell(f'Thread {row.thread_id}'), Cell(at(row.created_at)),
        Cell('not answered' if row.replied is None else at(row.replied)),
        Cell('' if row.numerator is None else f'{row.numerator / 3600:.1f}')], row.replied is not None)


def _months(filters: Filters, start: date, end: date, zone: str) -> Select:  # noqa: ARG001 (days of service)
    return monthly_patient_query(filters, start, end)


def _month_row(row, zone: str) -> Row:  # noqa: ANN001, ARG001 (months of service)
    return Row(None, str(row.month), [Cell('', int(row.numerator)), Cell('', int(row.denominator))], True)


FIGURES: dict[str, _Figure] = {
    'plans-active': _Figure('Active payment plans', ['Plan', 'Status', 'Started'], 'Active plans', None, False,
                            _plans(PlanStatus.active), _plan_row),
    'plans-past-due': _Figure('Payment plans past due', ['Plan', 'Status', 'Started'], 'Plans past due', None,
                              False, _plans(PlanStatus.delinquent), _plan_row),
    'autopay-rate': _Figure('Autopay tries in the period', ['Tried', 'Installment', 'Amount', 'Outcome', 'Error'],
                            'Succeeded', 'Tries', False, _autopay, _autopay_row),
    'portal-adoption': _Figure('Accounts with a sign-in', ['Statements'], 'Accounts with a sign-in', 'Accounts',
                               False, _accounts(paperless=False), _account_row, denominator=_every_account,
                               scope=_account_scope(paperless=False), shown=_accounts_shown),
    'paperless-rate': _Figure('Paperless accounts', ['Statements'], 'Paperless accounts', 'Accounts', False,
                              _accounts(paperless=True), _account_row, denominator=_every_account,
                              scope=_account_scope(paperless=True), shown=_accounts_shown),
    'denial-rate-claims': _Figure('Claims decided in the period (denial rate by claims)',
                                  ['Claim', 'Decided', 'Status', 'Billed'], 'Claims denied', 'Claims decided', False,
                                  _claims(dollars=False), _claim_row, scope=_claim_scope(dollars=False),
                                  shown=_claims_shown),
    'denial-rate-dollars': _Figure('Claims decided in the period (denial rate by dollars)',
                                   ['Claim', 'Decided', 'Status', 'Billed'], 'Denied dollars', 'Decided dollars',
                                   True, _claims(dollars=True), _claim_row, scope=_claim_scope(dollars=True),
                                   shown=_claims_shown),
    'response-time': _Figure('Patient messages of the period and the office\'s first reply',
                             ['Thread', 'Patient wrote', 'First reply', 'Hours'], 'Hours to reply (sum)',
                             'Messages answered', False, _responses, _response_row, numerator_of=hours_of,
                             scope=_response_scope, shown=_responses_shown),
    'patient-collection-rate': _Figure('Patient collection rate by month of service',
                                       ['Collected from patients', 'Patient responsibility'],
                                       'Collected from patients', 'Patient responsibility', True,
                                       _months, _month_row),
}
CSV_CHUNK = 1000  # rows read, built and written at a time by the CSV export


def _spec(figure: str) -> _Figure:
    if figure not in FIGURES:
        raise ValueError(f'unknown figure {figure!r}')
    return FIGURES[figure]


def _totals(session: Session, spec: _Figure, rows: Select) -> tuple[int, float, int]:
    """(rows, numerator, denominator) of a figure in one aggregate query over its rows."""
    listed = rows.order_by(None).subquery()
    denominator = (spec.denominator().scalar_subquery() if spec.denominator is not None
                   else func.coalesce(func.sum(listed.c.denominator), 0))
    count, numerator, denominator = session.connection().execute(
        select(func.count(), func.coalesce(func.sum(listed.c.numerator), 0), denominator).select_from(listed)).one()
    return int(count), spec.numerator_of(int(numerator)), int(denominator)


def rows_drill(session: Session, /, *, actor: Actor, figure: str, filters: Filters, page: int = 1) -> RowsDrill:
    """One page of the rows behind a dashboard figure (LIMIT/OFFSET of its ordered query), with the figure's
    numerator and denominator summed over all its rows by one aggregate query. Raises ValueError for an unknown
    figure."""
    require_staff(session, actor, purpose='view_dashboard')
    spec = _spec(figure)
    as_of = practice_today(session)
    start, end = filters.period(as_of)
    zone = zone_name(session)
    scope = (spec.scope if spec.scope is not None else spec.query)(filters, start, end, zone)
    count, numerator, denominator = _totals(session, spec, scope)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, page), pages)
    picked = scope.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    if spec.shown is not None:  # the page's ids from the scope alone, then only those rows joined for showing
        picked = spec.shown(_ids(picked))
    shown = [spec.row(row, zone) for row in session.connection().execute(picked)]
    audit.record(session, action='view_figure_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=figure, source_ip=actor.ip,
                 detail=f'page {page}, rows={len(shown)} as_of={as_of} {start}..{end}{_filters_text(filters)}')
    return RowsDrill(figure=figure, title=spec.title, as_of=as_of, start=start, end=end,
                     headers=[_first_heading(figure), *spec.headers],
                     numerator_label=spec.numerator_label, numerator=numerator,
                     denominator_label=spec.denominator_label, denominator=denominator, money=spec.money,
                     rows_count=count, page=page, pages=pages, rows=shown)


def _first_heading(figure: str) -> str:
    return 'Month' if figure == 'patient-collection-rate' else 'Account'


def rows_csv(session: Session, /, *, actor: Actor, figure: str, filters: Filters) -> str:
    """Every row behind the figure as CSV (formula cells escaped; a last column says whether it is counted in
    the numerator), read and written CSV_CHUNK rows at a time; the export is audited."""
    require_staff(session, actor, purpose='export_dashboard')
    spec = _spec(figure)
    as_of = practice_today(session)
    start, end = filters.period(as_of)
    zone = zone_name(session)
    rows = spec.query(filters, start, end, zone)
    count, _, _ = _totals(session, spec, spec.scope(filters, start, end, zone) if spec.scope is not None else rows)
    audit.record(session, action='export_figure_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=figure, source_ip=actor.ip,
                 detail=f'rows={count} as_of={as_of} {start}..{end}{_filters_text(filters)}')
    found = session.connection().execute(rows.execution_options(yield_per=CSV_CHUNK))
    lines = ([row.account, *[cell.text if cell.minor is None else _decimal(cell.minor) for cell in row.cells],
              'yes' if row.counted else 'no'] for row in (spec.row(found_row, zone) for found_row in found))
    return ''.join(csv_chunks([_first_heading(figure), *spec.headers, 'Counted'], lines, size=CSV_CHUNK))
