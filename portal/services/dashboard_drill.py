"""The charges behind a dashboard figure (an aging bucket, a responsibility, total A/R), paged, with the
total taken from the same rollup as the figure, and their CSV download (audited)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.interop.csv_export import csv_chunks
from portal.models import Charge, ChargeBalance, GuarantorAccount, Patient
from portal.services.dashboard import BUCKETS, RESPONSIBILITIES, Filters, open_total, rollup_where
from portal.services.person_names import guarantor_name
from portal.services.practice import practice_today

PAGE_SIZE = 50
CSV_CHUNK = 1000  # charges read, built and written at a time by the CSV export
CSV_HEADER = ['Account', 'Guarantor', 'Patient', 'Date of service', 'Code', 'Description', 'Responsibility',
              'Charged', 'Insurance paid', 'Adjusted', 'Patient paid', 'Open']


@dataclass(frozen=True)
class DrillRow:
    account_id: int
    account_number: str
    guarantor: str
    patient: str
    date_of_service: date
    code: str
    description: str
    responsibility: str
    charged: int
    insurance_paid: int
    adjusted: int
    patient_paid: int
    open_amount: int


@dataclass(frozen=True)
class Drill:
    title: str
    as_of: date
    total: int  # from the rollup: the figure itself
    charges: int
    page: int
    pages: int
    rows: list[DrillRow]


def _check(responsibility: str | None, bucket: str) -> None:
    if responsibility is not None and responsibility not in RESPONSIBILITIES:
        raise ValueError(f'unknown responsibility {responsibility!r}')
    if bucket not in {'all', '91+'} | {name for name, _, _ in BUCKETS}:
        raise ValueError(f'unknown aging bucket {bucket!r}')


def title_of(responsibility: str | None, bucket: str) -> str:
    who = {'patient': 'Patient', 'insurance': 'Insurance', None: 'All'}[responsibility]
    when = 'all ages' if bucket == 'all' else 'over 90 days from date of service' if bucket == '91+' \
        else f'{bucket} days from date of service'
    return f'{who} A/R, {when}'


def _query(filters: Filters, responsibility: str | None, bucket: str, as_of: date):  # noqa: ANN202
    return (select(ChargeBalance.account_id, GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
                   GuarantorAccount.guarantor_last_name, Patient.first_name, Patient.last_name,
                   ChargeBalance.date_of_service, Charge.code, Charge.description, ChargeBalance.responsibility,
                   ChargeBalance.charged, ChargeBalance.insurance_paid, ChargeBalance.adjusted,
                   ChargeBalance.patient_paid, ChargeBalance.open_amount)
            .join(Charge, Charge.id == ChargeBalance.charge_id)
            .join(GuarantorAccount, GuarantorAccount.id == ChargeBalance.account_id)
            .join(Patient, Patient.id == Charge.patient_id)
            .where(*rollup_where(filters, responsibility=responsibility, bucket=bucket, as_of=as_of,
                                 model=ChargeBalance), ChargeBalance.open_amount > 0)
            .order_by(col(ChargeBalance.date_of_service), col(ChargeBalance.charge_id)))


def _row(row) -> DrillRow:  # noqa: ANN001
    return DrillRow(account_id=row.account_id, account_number=row.account_number, guarantor=guarantor_name(row),
                    patient=f'{row.first_name} {row.last_name}', date_of_service=row.date_of_service,
                    code=row.code, description=row.description, responsibility=str(row.responsibility),
                    charged=row.charged, insurance_paid=row.insurance_paid, adjusted=row.adjusted,
                    patient_paid=row.patient_paid, open_amount=row.open_amount)


def ar_drill(session: Session, /, *, actor: Actor, filters: Filters, responsibility: str | None = None,
             bucket: str = 'all', page: int = 1) -> Drill:
    """One page of the charges with something open behind an A/R figure, oldest date of service first.
    Raises ValueError for an unknown bucket or responsibility."""
    require_staff(session, actor, purpose='view_dashboard')
    _check(responsibility, bucket)
    as_of = practice_today(session)
    total, charges = open_total(session, filters, responsibility=responsibility, bucket=bucket, as_of=as_of)
    pages = max(1, -(-charges // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = session.connection().execute(
        _query(filters, responsibility, bucket, as_of).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    audit.record(session, action='view_ar_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=f'{responsibility or "all"}:{bucket}', source_ip=actor.ip,
                 detail=f'page {page}, rows={len(rows)} as_of={as_of}{_filters_text(filters)}')
    return Drill(title=title_of(responsibility, bucket), as_of=as_of, total=total, charges=charges, page=page,
                 pages=pages, rows=[_row(row) for row in rows])


def ar_drill_csv(session: Session, /, *, actor: Actor, filters: Filters, responsibility: str | None = None,
                 bucket: str = 'all') -> str:
    """Every charge behind the figure as CSV (formula cells escaped), read and written CSV_CHUNK rows at a time;
    the export is audited."""
    require_staff(session, actor, purpose='export_dashboard')
    _check(responsibility, bucket)
    as_of = practice_today(session)
    _, charges = open_total(session, filters, responsibility=responsibility, bucket=bucket, as_of=as_of)
    audit.record(session, action='export_ar_drill', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='dashboard', entity_id=f'{responsibility or "all"}:{bucket}', source_ip=actor.ip,
                 detail=f'rows={charges} as_of={as_of}{_filters_text(filters)}')
    found = session.connection().execute(
        _query(filters, responsibility, bucket, as_of).execution_options(yield_per=CSV_CHUNK))
    return ''.join(csv_chunks(CSV_HEADER, (
        [row.account_number, row.guarantor, row.patient, row.date_of_service, row.code, row.description,
         row.responsibility, *[_decimal(amount) for amount in (row.charged, row.insurance_paid, row.adjusted,
                                                               row.patient_paid, row.open_amount)]]
        for row in map(_row, found)), size=CSV_CHUNK))


def _filters_text(filters: Filters) -> str:
    """The filters an export was taken under, for its audit record (' provider=3 payer=0')."""
    return ''.join(f' {name}={value}' for name, value in (('provider', filters.provider_id),
                                                          ('location', filters.location_id),
                                                          ('payer', filters.payer_id)) if value is not None)


def _decimal(minor: int) -> Decimal:
    """12345 -> 123.45, -5 -> -0.05: a number in the CSV, so a negative amount keeps its sign unescaped (money
    never goes through a float)."""
    return Decimal(minor).scaleb(-2)
