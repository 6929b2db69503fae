"""The figures of the dashboard's plan, adoption and KPI tiles, read from the base tables by plain SQL written
apart from the services (no rollup but through a from-scratch reading of each charge): for each figure its
rows as (account id, counted in the numerator, amount), its numerator and its denominator."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, DateTime, Integer, bindparam, text
from sqlmodel import Session, select

from portal.models import Charge, Claim, Coverage, GuarantorAccount
from portal.services.dashboard import Filters
from portal.services.practice import zone_name
from tests.support.receivables import reference_balances

DECIDED = "('paid', 'partially_paid', 'denied', 'reprocessed')"


@dataclass(frozen=True)
class Reference:
    rows: list[tuple]  # (account id or month, counted, amount) per row behind the figure
    numerator: float
    denominator: float


def _moment(day: date, zone: str) -> datetime:
    """The instant the practice's calendar `day` begins: its midnight in the practice's zone, as UTC."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _read(session: Session, sql: str, **params) -> list:  # noqa: ANN003
    statement = text(sql).bindparams(*[bindparam(name, type_=DateTime(timezone=True)) for name in params
                                       if isinstance(params[name], datetime)])
    if 'yes' in params:
        statement = statement.bindparams(bindparam('yes', type_=Boolean()))
    return session.connection().execute(statement, params).all()


def figures(session: Session, filters: Filters, start: date, end: date) -> dict[str, Reference]:
    zone = zone_name(session)
    period = {'low': _moment(start, zone), 'high': _moment(end + timedelta(days=1), zone)}
    out = {}
    for key, status in (('plans-active', 'active'), ('plans-past-due', 'delinquent')):
        rows = [(account, True, 0) for (account,) in _read(
            session, 'SELECT account_id FROM payment_plan WHERE status = :status', status=status)]
        out[key] = Reference(rows, len(rows), 0)
    tries = [(account, status == 'succeeded', amount) for account, status, amount in _read(
        session, "SELECT account_id, status, amount FROM payment_attempt WHERE target LIKE 'installment%try-%' "
        "AND status IN ('succeeded', 'failed') AND created_at >= :low AND created_at < :high", **period)]
    out['autopay-rate'] = Reference(tries, sum(counted for _, counted, _ in tries), len(tries))
    (accounts,), = _read(session, 'SELECT COUNT(*) FROM guarantor_account')
    signed_in = [(account, True, 0) for (account,) in _read(
        session, 'SELECT ga.id FROM guarantor_account ga WHERE ga.id IN (SELECT aa.account_id FROM account_access aa '
        'JOIN "user" u ON u.id = aa.user_id WHERE aa.revoked_at IS NULL AND u.is_active = :yes)', yes=True)]
    out['portal-adoption'] = Reference(signed_in, len(signed_in), accounts)
    paperless = [(account, True, 0) for (account,) in _read(
        session, 'SELECT id FROM guarantor_account WHERE paperless = :yes', yes=True)]
    out['paperless-rate'] = Reference(paperless, len(paperless), accounts)
    where, params = _claim_filters(filters)
    claims = _read(session, 'SELECT cl.account_id, cl.status, cl.billed_amount FROM claim cl '
                   'JOIN encounter e ON e.id = cl.encounter_id LEFT JOIN coverage cv ON cv.id = cl.coverage_id '
                   f'WHERE cl.status IN {DECIDED} AND cl.adjudicated_at >= :low AND cl.adjudicated_at < :high'
                   f'{where}', **period, **params)
    by_count = [(account, status == 'denied', billed) for account, status, billed in claims]
    out['denial-rate-claims'] = Reference(by_count, sum(row[1] for row in by_count), len(by_count))
    out['denial-rate-dollars'] = Reference(by_count, sum(row[2] for row in by_count if row[1]),
                                           sum(row[2] for row in by_count))
    out['response-time'] = _responses(session, period)
    out['patient-collection-rate'] = _collection_rate(session, filters, start, end)
    return out


def _claim_filters(filters: Filters) -> tuple[str, dict]:
    where, params = '', {}
    if filters.provider_id is not None:
        where, params['provider'] = where + ' AND e.provider_id = :provider', filters.provider_id
    if filters.location_id is not None:
        where, params['location'] = where + ' AND e.location_id = :location', filters.location_id
    if filters.payer_id is not None:
        where, params['payer'] = where + ' AND COALESCE(cv.payer_id, 0) = :payer', filters.payer_id
    return where, params


def _responses(session: Session, period: dict) -> Reference:
    """Patient messages of the period; the office's first reply (not an internal note) after each; hours
    from whole seconds."""
    statement = text(
        "SELECT t.account_id, m.created_at, (SELECT MIN(r.created_at) FROM message r WHERE r.thread_id = m.thread_id"
        " AND r.author_role = 'staff' AND r.internal_note = :no AND r.created_at > m.created_at) AS replied "
        "FROM message m JOIN message_thread t ON t.id = m.thread_id WHERE m.author_role = 'patient' "
        "AND m.created_at >= :low AND m.created_at < :high").bindparams(
        bindparam('no', type_=Boolean()), bindparam('low', type_=DateTime(timezone=True)),
        bindparam('high', type_=DateTime(timezone=True))).columns(
        account_id=Integer(), created_at=DateTime(timezone=True), replied=DateTime(timezone=True))
    found = session.connection().execute(statement, {'no': False, **period}).all()
    seconds = [round((replied - asked).total_seconds()) for _, asked, replied in found if replied is not None]
    rows = [(account, replied is not None, 0) for account, _, replied in found]
    return Reference(rows, round(sum(seconds) / 3600, 1), len(seconds))


def _collection_rate(session: Session, filters: Filters, start: date, end: date) -> Reference:
    """Per month of service in the period, the patient-responsibility charges (from scratch, over the ledger) of
    the filtered provider, location and payer (the payer of the visit's latest claim's coverage; 0: none)."""
    balances = {}
    for account in session.exec(select(GuarantorAccount.id)):
        balances.update(reference_balances(session, account))
    latest: dict[int, tuple[int, int]] = {}
    for charge, claim, payer in session.connection().execute(
            select(Charge.id, Claim.id, Coverage.payer_id).join(Claim, Claim.encounter_id == Charge.encounter_id)
            .outerjoin(Coverage, Coverage.id == Claim.coverage_id)):
        if charge not in latest or claim > latest[charge][0]:
            latest[charge] = (claim, payer or 0)
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for charge, row in balances.items():
        wanted = (row['responsibility'] == 'patient' and start <= row['date_of_service'] <= end
                  and filters.provider_id in (None, row['provider_id'])
                  and filters.location_id in (None, row['location_id'])
                  and filters.payer_id in (None, latest.get(charge, (0, 0))[1]))
        if wanted:
            month = months[row['date_of_service'].isoformat()[:7]]
            month[0] += row['patient_paid']
            month[1] += row['charged'] - row['insurance_paid'] - row['adjusted']
    rows = [(month, True, paid, owed) for month, (paid, owed) in sorted(months.items())]
    return Reference(rows, sum(row[2] for row in rows), sum(row[3] for row in rows))
