"""The payments behind a collections figure of the dashboard (a bar of the collections chart, a slice of the
payment method or channel mix), paged, with the total taken from ledger_day as the figure is; CSV audited."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.interop.csv_export import to_csv
from portal.models import LedgerDay
from portal.models.receivables import CHANNEL_SQL

PAGE_SIZE = 50
KINDS = {'patient': ('patient_payment', 'refund'), 'insurance': ('insurance_payment',)}
CSV_HEADER = ['Date', 'Account', 'Guarantor', 'Kind', 'Method', 'Channel', 'Amount']


@dataclass(frozen=True)
class PaymentRow:
    day: date
    account_id: int
    account_number: str
    guarantor: str
    kind: str
    method: str
    channel: str
    amount: int  # collected: positive for a payment, negative for a refund


@dataclass(frozen=True)
class PaymentsDrill:
    title: str
    total: int
    entries: int
    page: int
    pages: int
    rows: list[PaymentRow]


def _check(source: str, method: str | None, channel: str | None) -> None:
    if source not in KINDS or (source == 'insurance' and (method or channel)):
        raise ValueError('unknown collections figure')


def _total(session: Session, source: str, start: date, end: date, method: str | None,
           channel: str | None) -> tuple[int, int]:
    where = [col(LedgerDay.kind).in_(KINDS[source]), LedgerDay.day >= start, LedgerDay.day <= end]
    if method is not None:
        where.append(LedgerDay.method == method)
    if channel is not None:
        where.append(LedgerDay.channel == channel)
    amount, entries = session.connection().execute(
        select(func.coalesce(func.sum(LedgerDay.amount), 0), func.coalesce(func.sum(LedgerDay.entries), 0))
        .where(*where)).one()
    return -int(amount), int(entries)


def _rows_sql(method: str | None, channel: str | None, *, paged: bool) -> str:
    more = (' AND COALESCE(p.method, \'\') = :method' if method is not None else '') + \
        (f' AND {CHANNEL_SQL} = :channel' if channel is not None else '')
    return f"""
SELECT le.effective_date, le.account_id, ga.account_number, ga.guarantor_first_name, ga.guarantor_last_name,
  COALESCE(le.corrects_kind, le.kind) AS kind, COALESCE(p.method, '') AS method, {CHANNEL_SQL} AS channel,
  -le.amount AS amount
FROM ledger_entry le
JOIN guarantor_account ga ON ga.id = le.account_id
LEFT JOIN refund rf ON rf.id = le.refund_id
LEFT JOIN payment p ON p.id = COALESCE(le.payment_id, rf.payment_id)
LEFT JOIN payment_attempt pt ON pt.id = p.attempt_id
WHERE COALESCE(le.corrects_kind, le.kind) IN :kinds AND le.effective_date >= :start AND le.effective_date <= :end{more}
ORDER BY le.effective_date, le.id{' LIMIT :limit OFFSET :offset' if paged else ''}"""  # noqa: S608 (constants only)


def _query(source: str, start: date, end: date, method: str | None, channel: str | None, *, page: int | None):  # noqa: ANN202
    from sqlalchemy import bindparam
    statement = text(_rows_sql(method, channel, paged=page is not None)).bindparams(
        bindparam('kinds', expanding=True))
    params = {'kinds': list(KINDS[source]), 'start': start, 'end': end, 'method': method, 'channel': channel}
    if page is not None:
        params.update(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return statement, {key: value for key, value in params.items() if value is not None}


def _row(row) -> PaymentRow:  # noqa: ANN001
    from portal.services.person_names import full_name
    day = row.effective_date if isinstance(row.effective_date, date) else date.fromisoformat(row.effective_date)
    return PaymentRow(day=day, account_id=row.account_id, account_number=row.account_number,
                      guarantor=full_name(row.guarantor_first_name, row.guarantor_last_name), kind=row.kind,
                      method=row.method, channel=row.channel, amount=int(row.amount))


def title_of(source: str, start: date, end: date, method: str | None, channel: str | None) -> str:
    what = 'Patient payments' if source == 'patient' else 'Insurance payments'
    detail = ''.join(f', {label} {value}' for label, value in (('method', method), ('channel', channel)) if value)
    return f'{what}{detail}, {start.isoformat()} to {end.isoformat()}'


def payments_drill(session: Session, /, *, actor: Actor, source: str, start: date, end: date,
                   method: str | None = None, channel: str | None = None, page: int = 1) -> PaymentsDrill:
    """One page of the ledger's payments (and refunds, for patients) behind a collections figure. Raises
    ValueError for an unknown figure."""
    require_staff(session, actor, purpose='view_dashboard')
    _check(source, method, channel)
    total, entries = _total(session, source, start, end, method, channel)
    pages = max(1, -(-entries // PAGE_SIZE))
    page = min(max(1, page), pages)
    statement, params = _query(source, start, end, method, channel, page=page)
    rows = [_row(row) for row in session.connection().execute(statement, params)]
    audit.record(session, action='view_payments_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=f'{source}:{start}:{end}', source_ip=actor.ip,
                 detail=f'page {page}, rows={len(rows)} method={method or "all"} channel={channel or "all"}')
    return PaymentsDrill(title=title_of(source, start, end, method, channel), total=total, entries=entries,
                         page=page, pages=pages, rows=rows)


def payments_csv(session: Session, /, *, actor: Actor, source: str, start: date, end: date,
                 method: str | None = None, channel: str | None = None) -> str:
    """Every payment behind the figure as CSV (formula cells escaped); the export is audited."""
    require_staff(session, actor, purpose='export_dashboard')
    _check(source, method, channel)
    statement, params = _query(source, start, end, method, channel, page=None)
    rows = [_row(row) for row in session.connection().execute(statement, params)]
    audit.record(session, action='export_payments_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=f'{source}:{start}:{end}', source_ip=actor.ip,
                 detail=f'rows={len(rows)}')
    # amounts as Decimal numbers: 15.00 (not the float's 15.0), and a refund's minus stays a sign
    return to_csv(CSV_HEADER, [[row.day, row.account_number, row.guarantor, row.kind, row.method, row.channel,
                                Decimal(row.amount).scaleb(-2)] for row in rows])
