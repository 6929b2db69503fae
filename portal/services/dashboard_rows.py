"""/staff/dashboard/rows: the rows behind a plan, adoption or KPI figure of the dashboard (plans, autopay
tries, accounts, decided claims, answered patient messages, months of service), paged, with the numerator and
denominator computed from the very rows listed (so they equal the tile's figure), and their CSV (audited).

Every figure's rows are read in full and paged here: these figures are counts of plans, tries, claims and
messages of a period, or the practice's accounts (adoption and paperless, the largest)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import practice_time
from portal.interop.csv_export import to_csv
from portal.models import (
    AccountAccess,
    AuthorRole,
    Claim,
    ClaimStatus,
    Coverage,
    Encounter,
    GuarantorAccount,
    Message,
    MessageThread,
    PaymentAttempt,
    PaymentPlan,
    PlanStatus,
)
from portal.services.dashboard import Filters, _claim_where, _monthly_patient_rate, _utc, first_reply
from portal.services.dashboard_drill import _decimal, _filters_text
from portal.services.person_names import guarantor_name
from portal.services.practice import practice, practice_today, zone_name

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
    rows: Callable  # (session, filters, start, end) -> (rows, numerator, denominator)


def _account(row) -> str:  # noqa: ANN001
    return f'{row.account_number} · {guarantor_name(row)}'


ACCOUNT_COLUMNS = (GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
                   GuarantorAccount.guarantor_last_name)


def _plans(status: PlanStatus) -> Callable:
    def rows(session: Session, filters: Filters, start: date, end: date):  # noqa: ANN202, ARG001
        found = session.connection().execute(
            select(PaymentPlan.id, PaymentPlan.account_id, PaymentPlan.status, PaymentPlan.created_at,
                   *ACCOUNT_COLUMNS)
            .join(GuarantorAccount, GuarantorAccount.id == PaymentPlan.account_id)
            .where(PaymentPlan.status == status).order_by(col(PaymentPlan.id))).all()
        day_of = practice(session).day_of
        listed = [Row(row.account_id, _account(row), [Cell(f'Plan {row.id}'), Cell(str(row.status).replace('_', ' ')),
                                                      Cell(day_of(row.created_at).isoformat())], True) for row in found]
        return listed, len(listed), 0
    return rows


def _autopay(session: Session, filters: Filters, start: date, end: date):  # noqa: ANN202, ARG001
    zone = zone_name(session)
    found = session.connection().execute(
        select(PaymentAttempt.id, PaymentAttempt.account_id, PaymentAttempt.target, PaymentAttempt.amount,
               PaymentAttempt.status, PaymentAttempt.created_at, PaymentAttempt.error_message, *ACCOUNT_COLUMNS)
        .join(GuarantorAccount, GuarantorAccount.id == PaymentAttempt.account_id)
        .where(col(PaymentAttempt.target).like('installment%try-%'),
               col(PaymentAttempt.status).in_(['succeeded', 'failed']),
               PaymentAttempt.created_at >= _utc(start, zone),
               PaymentAttempt.created_at < _utc(end + timedelta(days=1), zone))
        .order_by(col(PaymentAttempt.created_at), col(PaymentAttempt.id))).all()
    day_of = practice(session).day_of
    listed = [Row(row.account_id, _account(row), [
        Cell(day_of(row.created_at).isoformat()), Cell(row.target), Cell('', row.amount), Cell(str(row.status)),
        Cell(row.error_message)], str(row.status) == 'succeeded') for row in found]
    return listed, sum(row.counted for row in listed), len(listed)


def _accounts(paperless: bool) -> Callable:
    def rows(session: Session, filters: Filters, start: date, end: date):  # noqa: ANN202, ARG001
        connection = session.connection()
        accounts = connection.execute(select(func.count()).select_from(GuarantorAccount)).scalar_one()
        signed_in = select(AccountAccess.account_id).distinct().subquery()
        query = select(GuarantorAccount.id, GuarantorAccount.paperless, *ACCOUNT_COLUMNS)
        if paperless:
            query = query.where(GuarantorAccount.paperless == True)  # noqa: E712
        else:
            query = query.where(col(GuarantorAccount.id).in_(select(signed_in.c.account_id)))
        found = connection.execute(query.order_by(col(GuarantorAccount.account_number))).all()
        listed = [Row(row.id, _account(row), [Cell('paperless' if row.paperless else 'paper statements')], True)
                  for row in found]
        return listed, len(listed), int(accounts)
    return rows


def _claims(dollars: bool) -> Callable:
    def rows(session: Session, filters: Filters, start: date, end: date):  # noqa: ANN202
        found = session.connection().execute(
            select(Claim.claim_number, Claim.account_id, Claim.status, Claim.billed_amount, Claim.adjudicated_at,
                   *ACCOUNT_COLUMNS)
            .select_from(Claim).join(Encounter, Encounter.id == Claim.encounter_id)
            .outerjoin(Coverage, Coverage.id == Claim.coverage_id)
            .join(GuarantorAccount, GuarantorAccount.id == Claim.account_id)
            .where(*_claim_where(filters, start, end, zone_name(session)))
            .order_by(col(Claim.adjudicated_at), col(Claim.id))).all()
        day_of = practice(session).day_of
        listed = [Row(row.account_id, _account(row), [
            Cell(row.claim_number), Cell(day_of(row.adjudicated_at).isoformat()),
            Cell(str(row.status).replace('_', ' ')), Cell('', row.billed_amount)],
            row.status == ClaimStatus.denied) for row in found]
        if dollars:
            return (listed, sum(row.billed_amount for row in found if row.status == ClaimStatus.denied),
                    sum(row.billed_amount for row in found))
        return listed, sum(row.counted for row in listed), len(listed)
    return rows


def _responses(session: Session, filters: Filters, start: date, end: date):  # noqa: ANN202, ARG001
    zone = zone_name(session)
    found = session.connection().execute(
        select(Message.id, Message.thread_id, Message.created_at, first_reply().label('replied'),
               MessageThread.account_id, *ACCOUNT_COLUMNS)
        .join(MessageThread, MessageThread.id == Message.thread_id)
        .join(GuarantorAccount, GuarantorAccount.id == MessageThread.account_id)
        .where(Message.author_role == AuthorRole.patient, Message.created_at >= _utc(start, zone),
               Message.created_at < _utc(end + timedelta(days=1), zone))
        .order_by(col(Message.created_at), col(Message.id))).all()
    listed, hours = [], []
    at = lambda moment: f'{practice_time(moment, zone=zone):%Y-%m-%d %H:%M}'  # noqa: E731  (the practice's clock)
    for row in found:
        gap = None if row.replied is None else (row.replied - row.created_at).total_seconds() / 3600
        if gap is not None:
            hours.append(gap)
        listed.append(Row(row.account_id, _account(row), [
            Cell(f'Thread {row.thread_id}'), Cell(at(row.created_at)),
            Cell('not answered' if row.replied is None else at(row.replied)),
            Cell('' if gap is None else f'{gap:.1f}')], gap is not None))
    return listed, round(sum(hours), 1), len(hours)


def _collection_rate(session: Session, filters: Filters, start: date, end: date):  # noqa: ANN202
    months = _monthly_patient_rate(session, filters, start, end)
    listed = [Row(None, month, [Cell('', paid), Cell('', owed)], True) for month, paid, owed in months]
    return listed, sum(paid for _, paid, _ in months), sum(owed for _, _, owed in months)


FIGURES: dict[str, _Figure] = {
    'plans-active': _Figure('Active payment plans', ['Plan', 'Status', 'Started'], 'Active plans', None, False,
                            _plans(PlanStatus.active)),
    'plans-past-due': _Figure('Payment plans past due', ['Plan', 'Status', 'Started'], 'Plans past due', None,
                              False, _plans(PlanStatus.delinquent)),
    'autopay-rate': _Figure('Autopay tries in the period', ['Tried', 'Installment', 'Amount', 'Outcome', 'Error'],
                            'Succeeded', 'Tries', False, _autopay),
    'portal-adoption': _Figure('Accounts with a sign-in', ['Statements'], 'Accounts with a sign-in', 'Accounts',
                               False, _accounts(paperless=False)),
    'paperless-rate': _Figure('Paperless accounts', ['Statements'], 'Paperless accounts', 'Accounts', False,
                              _accounts(paperless=True)),
    'denial-rate-claims': _Figure('Claims decided in the period (denial rate by claims)',
                                  ['Claim', 'Decided', 'Status', 'Billed'], 'Claims denied', 'Claims decided', False,
                                  _claims(dollars=False)),
    'denial-rate-dollars': _Figure('Claims decided in the period (denial rate by dollars)',
                                   ['Claim', 'Decided', 'Status', 'Billed'], 'Denied dollars', 'Decided dollars',
                                   True, _claims(dollars=True)),
    'response-time': _Figure('Patient messages of the period and the office\'s first reply',
                             ['Thread', 'Patient wrote', 'First reply', 'Hours'], 'Hours to reply (sum)',
                             'Messages answered', False, _responses),
    'patient-collection-rate': _Figure('Patient collection rate by month of service',
                                       ['Collected from patients', 'Patient responsibility'],
                                       'Collected from patients', 'Patient responsibility', True, _collection_rate),
}


def _read(session: Session, figure: str, filters: Filters):  # noqa: ANN202
    if figure not in FIGURES:
        raise ValueError(f'unknown figure {figure!r}')
    as_of = practice_today(session)
    start, end = filters.period(as_of)
    listed, numerator, denominator = FIGURES[figure].rows(session, filters, start, end)
    return as_of, start, end, listed, numerator, denominator


def rows_drill(session: Session, /, *, actor: Actor, figure: str, filters: Filters, page: int = 1) -> RowsDrill:
    """One page of the rows behind a dashboard figure, with its numerator and denominator computed from them.
    Raises ValueError for an unknown figure."""
    require_staff(session, actor, purpose='view_dashboard')
    as_of, start, end, listed, numerator, denominator = _read(session, figure, filters)
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = listed[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    audit.record(session, action='view_figure_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=figure, source_ip=actor.ip,
                 detail=f'page {page}, rows={len(shown)} as_of={as_of} {start}..{end}{_filters_text(filters)}')
    spec = FIGURES[figure]
    return RowsDrill(figure=figure, title=spec.title, as_of=as_of, start=start, end=end,
                     headers=['Account' if figure != 'patient-collection-rate' else 'Month', *spec.headers],
                     numerator_label=spec.numerator_label, numerator=numerator,
                     denominator_label=spec.denominator_label, denominator=denominator, money=spec.money,
                     rows_count=len(listed), page=page, pages=pages, rows=shown)


def rows_csv(session: Session, /, *, actor: Actor, figure: str, filters: Filters) -> str:
    """Every row behind the figure as CSV (formula cells escaped; a last column says whether it is counted in
    the numerator); the export is audited."""
    require_staff(session, actor, purpose='export_dashboard')
    as_of, start, end, listed, _, _ = _read(session, figure, filters)
    audit.record(session, action='export_figure_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=figure, source_ip=actor.ip,
                 detail=f'rows={len(listed)} as_of={as_of} {start}..{end}{_filters_text(filters)}')
    header = ['Account' if figure != 'patient-collection-rate' else 'Month', *FIGURES[figure].headers, 'Counted']
    return to_csv(header, [[row.account, *[cell.text if cell.minor is None else _decimal(cell.minor)
                                           for cell in row.cells], 'yes' if row.counted else 'no'] for row in listed])
