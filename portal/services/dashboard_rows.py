"""/staff/dashboard/rows: the rows behind a plan, adoption or KPI figure of the dashboard (plans, autopay
tries, accounts, decided claims, answered patient messages, months of service), paged, with the numerator and
denominator summed over the very rows listed (so they equal the tile's figure), and their CSV (audited).

A page is LIMIT/OFFSET of the figure's ordered query and the numerator and denominator one aggregate query over
the same rows, so a page reads PAGE_SIZE rows however many are behind the figure; the CSV reads them in chunks."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, func, literal
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.interop.csv_export import csv_chunks
from portal.models import (
    AccountAccess,
    Claim,
    ClaimStatus,
    Coverage,
    Encounter,
    GuarantorAccount,
    MessageThread,
    PaymentAttempt,
    PaymentPlan,
    PlanStatus,
)
from portal.services.dashboard import (
    Filters,
    _claim_where,
    _utc,
    hours_of,
    monthly_patient_query,
    patient_messages,
)
from portal.services.dashboard_drill import _decimal, _filters_text
from portal.services.person_names import guarantor_name
from portal.services.practice import practice_today
from portal.sql_time import seconds_between

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
    # (filters, start, end) -> the figure's rows, ordered (a page is LIMIT/OFFSET of it), each with its share of
    # the numerator and the denominator as the columns `numerator` and `denominator`
    query: Callable[[Filters, date, date], Select]
    row: Callable[[Any], Row]  # one row of the query as shown
    # a denominator that is not the rows' (every account, for adoption and paperless), as a scalar query
    denominator: Callable[[], Select] | None = None
    numerator_of: Callable[[int], float] = int  # the summed numerator as the figure shows it


def _account(row) -> str:  # noqa: ANN001
    return f'{row.account_number} · {guarantor_name(row)}'


ACCOUNT_COLUMNS = (GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
                   GuarantorAccount.guarantor_last_name)
ONE, NOTHING = literal(1), literal(0)


def _counted(condition, amount=ONE):  # noqa: ANN001, ANN202
    return case((condition, amount), else_=0)


def _plans(status: PlanStatus) -> Callable[[Filters, date, date], Select]:
    def query(filters: Filters, start: date, end: date) -> Select:  # noqa: ARG001 (plans are counted today)
        return (select(PaymentPlan.id, PaymentPlan.account_id, PaymentPlan.status, PaymentPlan.created_at,
                       *ACCOUNT_COLUMNS, ONE.label('numerator'), NOTHING.label('denominator'))
                .join(GuarantorAccount, GuarantorAccount.id == PaymentPlan.account_id)
                .where(PaymentPlan.status == status).order_by(col(PaymentPlan.id)))
    return query


def _plan_row(row) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [Cell(f'Plan {row.id}'), Cell(str(row.status).replace('_', ' ')),
                                               Cell(row.created_at.date().isoformat())], True)


def _autopay(filters: Filters, start: date, end: date) -> Select:  # noqa: ARG001 (tries are to accounts)
    succeeded = PaymentAttempt.status == 'succeeded'
    return (select(PaymentAttempt.id, PaymentAttempt.account_id, PaymentAttempt.target, PaymentAttempt.amount,
                   PaymentAttempt.status, PaymentAttempt.created_at, PaymentAttempt.error_message, *ACCOUNT_COLUMNS,
                   _counted(succeeded).label('numerator'), ONE.label('denominator'))
            .join(GuarantorAccount, GuarantorAccount.id == PaymentAttempt.account_id)
            .where(col(PaymentAttempt.target).like('installment%try-%'),
                   col(PaymentAttempt.status).in_(['succeeded', 'failed']),
                   PaymentAttempt.created_at >= _utc(start), PaymentAttempt.created_at < _utc(end + timedelta(days=1)))
            .order_by(col(PaymentAttempt.created_at), col(PaymentAttempt.id)))


def _autopay_row(row) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [
        Cell(row.created_at.date().isoformat()), Cell(row.target), Cell('', row.amount), Cell(str(row.status)),
        Cell(row.error_message)], str(row.status) == 'succeeded')


def _accounts(paperless: bool) -> Callable[[Filters, date, date], Select]:
    def query(filters: Filters, start: date, end: date) -> Select:  # noqa: ARG001 (accounts are counted today)
        signed_in = select(AccountAccess.id).where(AccountAccess.account_id == GuarantorAccount.id).exists()
        return (select(GuarantorAccount.id, GuarantorAccount.paperless, *ACCOUNT_COLUMNS, ONE.label('numerator'),
                       NOTHING.label('denominator'))
                .where(GuarantorAccount.paperless == True if paperless else signed_in)  # noqa: E712
                .order_by(col(GuarantorAccount.account_number)))
    return query


def _every_account() -> Select:
    return select(func.count()).select_from(GuarantorAccount)


def _account_row(row) -> Row:  # noqa: ANN001
    return Row(row.id, _account(row), [Cell('paperless' if row.paperless else 'paper statements')], True)


def _claims(dollars: bool) -> Callable[[Filters, date, date], Select]:
    def query(filters: Filters, start: date, end: date) -> Select:
        denied = Claim.status == ClaimStatus.denied
        return (select(Claim.id, Claim.claim_number, Claim.account_id, Claim.status, Claim.billed_amount,
                       Claim.adjudicated_at, *ACCOUNT_COLUMNS,
                       _counted(denied, Claim.billed_amount if dollars else ONE).label('numerator'),
                       (Claim.billed_amount if dollars else ONE).label('denominator'))
                .select_from(Claim).join(Encounter, Encounter.id == Claim.encounter_id)
                .outerjoin(Coverage, Coverage.id == Claim.coverage_id)
                .join(GuarantorAccount, GuarantorAccount.id == Claim.account_id)
                .where(*_claim_where(filters, start, end)).order_by(col(Claim.adjudicated_at), col(Claim.id)))
    return query


def _claim_row(row) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [
        Cell(row.claim_number), Cell(row.adjudicated_at.date().isoformat()),
        Cell(str(row.status).replace('_', ' ')), Cell('', row.billed_amount)], row.status == ClaimStatus.denied)


def _responses(filters: Filters, start: date, end: date) -> Select:  # noqa: ARG001 (messages are to accounts)
    asked = patient_messages(start, end).subquery()
    return (select(asked.c.id, asked.c.thread_id, asked.c.created_at, asked.c.replied, MessageThread.account_id,
                   *ACCOUNT_COLUMNS, seconds_between(asked.c.replied, asked.c.created_at).label('numerator'),
                   _counted(asked.c.replied.is_not(None)).label('denominator'))
            .join(MessageThread, MessageThread.id == asked.c.thread_id)
            .join(GuarantorAccount, GuarantorAccount.id == MessageThread.account_id)
            .order_by(asked.c.created_at, asked.c.id))


def _response_row(row) -> Row:  # noqa: ANN001
    return Row(row.account_id, _account(row), [
        Cell(f'Thread {row.thread_id}'), Cell(row.created_at.strftime('%Y-%m-%d %H:%M')),
        Cell('not answered' if row.replied is None else row.replied.strftime('%Y-%m-%d %H:%M')),
        Cell('' if row.numerator is None else f'{row.numerator / 3600:.1f}')], row.replied is not None)


def _month_row(row) -> Row:  # noqa: ANN001
    return Row(None, str(row.month), [Cell('', int(row.numerator)), Cell('', int(row.denominator))], True)


FIGURES: dict[str, _Figure] = {
    'plans-active': _Figure('Active payment plans', ['Plan', 'Status', 'Started'], 'Active plans', None, False,
                            _plans(PlanStatus.active), _plan_row),
    'plans-past-due': _Figure('Payment plans past due', ['Plan', 'Status', 'Started'], 'Plans past due', None,
                              False, _plans(PlanStatus.delinquent), _plan_row),
    'autopay-rate': _Figure('Autopay tries in the period', ['Tried', 'Installment', 'Amount', 'Outcome', 'Error'],
                            'Succeeded', 'Tries', False, _autopay, _autopay_row),
    'portal-adoption': _Figure('Accounts with a sign-in', ['Statements'], 'Accounts with a sign-in', 'Accounts',
                               False, _accounts(paperless=False), _account_row, denominator=_every_account),
    'paperless-rate': _Figure('Paperless accounts', ['Statements'], 'Paperless accounts', 'Accounts', False,
                              _accounts(paperless=True), _account_row, denominator=_every_account),
    'denial-rate-claims': _Figure('Claims decided in the period (denial rate by claims)',
                                  ['Claim', 'Decided', 'Status', 'Billed'], 'Claims denied', 'Claims decided', False,
                                  _claims(dollars=False), _claim_row),
    'denial-rate-dollars': _Figure('Claims decided in the period (denial rate by dollars)',
                                   ['Claim', 'Decided', 'Status', 'Billed'], 'Denied dollars', 'Decided dollars',
                                   True, _claims(dollars=True), _claim_row),
    'response-time': _Figure('Patient messages of the period and the office\'s first reply',
                             ['Thread', 'Patient wrote', 'First reply', 'Hours'], 'Hours to reply (sum)',
                             'Messages answered', False, _responses, _response_row, numerator_of=hours_of),
    'patient-collection-rate': _Figure('Patient collection rate by month of service',
                                       ['Collected from patients', 'Patient responsibility'],
                                       'Collected from patients', 'Patient responsibility', True,
                                       monthly_patient_query, _month_row),
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
    rows = spec.query(filters, start, end)
    count, numerator, denominator = _totals(session, spec, rows)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = [spec.row(row) for row in session.connection().execute(
        rows.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
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
    rows = spec.query(filters, start, end)
    count, _, _ = _totals(session, spec, rows)
    audit.record(session, action='export_figure_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=figure, source_ip=actor.ip,
                 detail=f'rows={count} as_of={as_of} {start}..{end}{_filters_text(filters)}')
    found = session.connection().execute(rows.execution_options(yield_per=CSV_CHUNK))
    lines = ([row.account, *[cell.text if cell.minor is None else _decimal(cell.minor) for cell in row.cells],
              'yes' if row.counted else 'no'] for row in map(spec.row, found))
    return ''.join(csv_chunks([_first_heading(figure), *spec.headers, 'Counted'], lines, size=CSV_CHUNK))
