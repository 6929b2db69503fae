"""What is owed, kept current beside the ledger (never instead of it): each charge's open amount and who
must pay it, and two rollups the collections dashboard reads, so a load costs the same with 1,000 or
1,000,000 charges. All three are derived data: `python -m portal rebuild-balances` builds them again
from the ledger, payments and claims (portal/services/receivables.py)."""
from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.models.columns import StateText


class Responsibility(StrEnum):
    insurance = 'insurance'  # its visit has a claim the insurer has not answered yet
    patient = 'patient'


class ChargeBalance(SQLModel, table=True):
    """One charge's standing: open = charge - insurance payments - adjustments (and write-offs) posted on it
    - patient payments allocated to it (net of refunds), never below 0."""
    __tablename__ = 'charge_balance'
    __table_args__ = (
        Index('ix_charge_balance_drill', 'responsibility', 'date_of_service', 'open_amount'),
    )

    # no foreign keys: derived rows, written a million at a time by a rebuild (checks would treble its time)
    charge_id: int = Field(primary_key=True)  # charge.id
    account_id: int = Field(index=True)  # guarantor_account.id
    date_of_service: date
    provider_id: int
    location_id: int
    payer_id: int = 0  # the payer of the visit's latest claim; 0: no claim (self-pay)
    responsibility: Responsibility = Field(max_length=16, sa_type=StateText(Responsibility, 16))
    charged: int  # the charge entries on it (corrections included)
    insurance_paid: int  # insurance payments on it, as a positive amount
    adjusted: int  # contractual adjustments and write-offs on it, positive
    patient_paid: int  # patient payments allocated to it, net of refunds, positive
    open_amount: int


ROLLUP_KEY = ('responsibility', 'date_of_service', 'provider_id', 'location_id', 'payer_id')


class ReceivableRollup(SQLModel, table=True):
    """charge_balance summed by responsibility, date of service, provider, location and payer. Aging buckets
    are date-of-service ranges read from it at load time, so nothing here goes stale overnight."""
    __tablename__ = 'receivable_rollup'
    __table_args__ = (
        UniqueConstraint(*ROLLUP_KEY, name='uq_receivable_rollup_key'),
        # the aging figures read only rows with something open, from this index alone
        Index('ix_receivable_rollup_open', 'date_of_service', 'responsibility', 'provider_id', 'location_id',
              'payer_id', 'open_amount', 'open_charges',
              sqlite_where=text('open_amount <> 0'), postgresql_where=text('open_amount <> 0')),
        # net revenue and the patient collection rate read recent dates of service from this index alone
        Index('ix_receivable_rollup_dos', 'date_of_service', 'responsibility', 'provider_id', 'location_id',
              'payer_id', 'charged', 'insurance_paid', 'adjusted', 'patient_paid'),
    )

    id: int | None = Field(default=None, primary_key=True)
    responsibility: Responsibility = Field(max_length=16, sa_type=StateText(Responsibility, 16))
    date_of_service: date
    provider_id: int
    location_id: int
    payer_id: int
    charges: int = 0  # how many charges
    open_charges: int = 0  # how many with something open
    charged: int = 0
    insurance_paid: int = 0
    adjusted: int = 0
    patient_paid: int = 0
    open_amount: int = 0


TOTAL_KEY = ('responsibility', 'provider_id', 'location_id', 'payer_id')


class ReceivableTotal(SQLModel, table=True):
    """What is open by responsibility, provider, location and payer, whatever the date of service (a few
    hundred rows at most): the oldest aging bucket is this less the recent days, so an aging load reads at
    most 120 days of receivable_rollup however long the history is."""
    __tablename__ = 'receivable_total'
    __table_args__ = (UniqueConstraint(*TOTAL_KEY, name='uq_receivable_total_key'),)

    id: int | None = Field(default=None, primary_key=True)
    responsibility: Responsibility = Field(max_length=16, sa_type=StateText(Responsibility, 16))
    provider_id: int
    location_id: int
    payer_id: int
    open_charges: int = 0
    open_amount: int = 0


DAY_KEY = ('day', 'kind', 'method', 'channel')


class LedgerDay(SQLModel, table=True):
    """The ledger summed by effective day and kind (a correction under the kind it corrects), payments also by
    method and channel (guest, signed_in, office): collections, payment mix and revenue read it. Amounts keep
    the ledger's sign."""
    __tablename__ = 'ledger_day'
    __table_args__ = (UniqueConstraint(*DAY_KEY, name='uq_ledger_day_key'),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    kind: str = Field(max_length=32)
    method: str = Field(default='', max_length=24)
    channel: str = Field(default='', max_length=16)
    entries: int = 0
    amount: int = 0


def standing_sql(pending_statuses: list[str], *, one_account: bool) -> str:
    """SELECT each charge's standing, charge_balance's columns (of one account with `:account_id`, else every
    charge). Patient payments count through their allocations, less what was refunded: a refund comes out of
    the payment's unapplied credit first, then off its allocations newest first (as
    portal/services/payments/allocation.paid_on_charges reads it). Shared by the per-account refresh, the
    rebuild command and migration 0017 (which passes its own copy of the pending statuses)."""
    pending = ', '.join(f"'{status}'" for status in sorted(pending_statuses))
    only = (lambda column: f' AND {column} = :account_id') if one_account else (lambda _column: '')
    return f"""
WITH posted AS (
  SELECT le.charge_id,
    SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) IN ('charge', 'correction') THEN le.amount ELSE 0 END)
      AS charged,
    -SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) = 'insurance_payment' THEN le.amount ELSE 0 END)
      AS insurance_paid,
    -SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) IN ('contractual_adjustment', 'write_off')
         THEN le.amount ELSE 0 END) AS adjusted,
    -SUM(CASE WHEN COALESCE(le.corrects_kind, le.kind) IN ('patient_payment', 'refund') THEN le.amount ELSE 0 END)
      AS paid_direct
  FROM ledger_entry le
  WHERE le.charge_id IS NOT NULL AND le.payment_id IS NULL{only('le.account_id')}
  GROUP BY le.charge_id),
refunded AS (
  SELECT rf.payment_id, SUM(rf.amount) AS refunded FROM refund rf JOIN payment p ON p.id = rf.payment_id
  WHERE rf.status = 'succeeded'{only('p.account_id')} GROUP BY rf.payment_id),
parts AS (
  SELECT pa.charge_id, pa.amount,
    COALESCE(r.refunded, 0) - (p.amount - SUM(pa.amount) OVER (PARTITION BY pa.payment_id))
      - COALESCE(SUM(pa.amount) OVER (PARTITION BY pa.payment_id ORDER BY pa.id DESC
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS to_take
  FROM payment_allocation pa JOIN payment p ON p.id = pa.payment_id
  LEFT JOIN refunded r ON r.payment_id = pa.payment_id
  WHERE p.status <> 'failed'{only('p.account_id')}),
paid AS (
  SELECT charge_id, SUM(amount - CASE WHEN to_take <= 0 THEN 0 WHEN to_take >= amount THEN amount ELSE to_take END)
    AS paid
  FROM parts GROUP BY charge_id),
visit_claims AS (
  SELECT cl.encounter_id, MAX(CASE WHEN cl.status IN ({pending}) THEN 1 ELSE 0 END) AS pending, MAX(cl.id) AS latest
  FROM claim cl WHERE 1 = 1{only('cl.account_id')} GROUP BY cl.encounter_id),
standing AS (
  SELECT c.id AS charge_id, c.account_id, c.date_of_service, e.provider_id, e.location_id,
    COALESCE(cv.payer_id, 0) AS payer_id,
    CASE WHEN vc.pending = 1 THEN 'insurance' ELSE 'patient' END AS responsibility,
    COALESCE(po.charged, 0) AS charged, COALESCE(po.insurance_paid, 0) AS insurance_paid,
    COALESCE(po.adjusted, 0) AS adjusted, COALESCE(po.paid_direct, 0) + COALESCE(pd.paid, 0) AS patient_paid
  FROM charge c JOIN encounter e ON e.id = c.encounter_id
  LEFT JOIN posted po ON po.charge_id = c.id
  LEFT JOIN paid pd ON pd.charge_id = c.id
  LEFT JOIN visit_claims vc ON vc.encounter_id = c.encounter_id
  LEFT JOIN claim lc ON lc.id = vc.latest
  LEFT JOIN coverage cv ON cv.id = lc.coverage_id
  WHERE 1 = 1{only('c.account_id')})
SELECT charge_id, account_id, date_of_service, provider_id, location_id, payer_id, responsibility, charged,
  insurance_paid, adjusted, patient_paid,
  CASE WHEN charged - insurance_paid - adjusted - patient_paid > 0
       THEN charged - insurance_paid - adjusted - patient_paid ELSE 0 END AS open_amount
FROM standing"""  # noqa: S608 (built from constants)


BALANCE_COLUMNS = ('charge_id', 'account_id', 'date_of_service', 'provider_id', 'location_id', 'payer_id',
                   'responsibility', 'charged', 'insurance_paid', 'adjusted', 'patient_paid', 'open_amount')
SUMMED = ('charged', 'insurance_paid', 'adjusted', 'patient_paid', 'open_amount')

ROLLUP_FROM_BALANCES = f"""
INSERT INTO receivable_rollup ({', '.join(ROLLUP_KEY)}, charges, open_charges, {', '.join(SUMMED)})
SELECT {', '.join(ROLLUP_KEY)}, COUNT(*), SUM(CASE WHEN open_amount > 0 THEN 1 ELSE 0 END),
  {', '.join(f'SUM({name})' for name in SUMMED)}
FROM charge_balance GROUP BY {', '.join(ROLLUP_KEY)}"""  # noqa: S608

TOTAL_FROM_BALANCES = f"""
INSERT INTO receivable_total ({', '.join(TOTAL_KEY)}, open_charges, open_amount)
SELECT {', '.join(TOTAL_KEY)}, SUM(CASE WHEN open_amount > 0 THEN 1 ELSE 0 END), SUM(open_amount)
FROM charge_balance WHERE open_amount <> 0 GROUP BY {', '.join(TOTAL_KEY)}"""  # noqa: S608

# a payment's channel: taken by the office, by a signed-in payer, by autopay (an installment's numbered try),
# or by a guest (quick pay)
CHANNEL_SQL = """CASE WHEN p.id IS NULL THEN '' WHEN p.recorded_by_user_id IS NOT NULL THEN 'office'
  WHEN p.payer_user_id IS NOT NULL THEN 'signed_in' WHEN pt.target LIKE 'installment%try-%' THEN 'autopay'
  ELSE 'guest' END"""



def ledger_days_sql(where: str = '1 = 1') -> str:
    """SELECT ledger entries (those matching `where`, over `le`) summed into ledger_day's rows: day, kind,
    method, channel, entries, amount. The rebuild reads every entry; the commit-time step a transaction's
    new ones (portal/services/receivables.py)."""
    return f"""
SELECT le.effective_date AS day, COALESCE(le.corrects_kind, le.kind) AS kind, COALESCE(p.method, '') AS method,
  {CHANNEL_SQL} AS channel, COUNT(*) AS entries, SUM(le.amount) AS amount
FROM ledger_entry le
LEFT JOIN refund rf ON rf.id = le.refund_id
LEFT JOIN payment p ON p.id = COALESCE(le.payment_id, rf.payment_id)
LEFT JOIN payment_attempt pt ON pt.id = p.attempt_id
WHERE {where}
GROUP BY le.effective_date, COALESCE(le.corrects_kind, le.kind), COALESCE(p.method, ''), {CHANNEL_SQL}"""  # noqa: S608


LEDGER_DAYS = f'INSERT INTO ledger_day (day, kind, method, channel, entries, amount){ledger_days_sql()}'


def rebuild_statements(pending_statuses: list[str], dialect: str) -> list[str]:
    """Empty the derived tables and fill them again from the ledger, payments and claims. On PostgreSQL the
    tables are truncated (a DELETE leaves a million dead index entries each new row is checked against) and
    the transaction gets memory for its hash joins."""
    derived = ('receivable_total', 'receivable_rollup', 'charge_balance', 'ledger_day')
    if dialect == 'postgresql':
        empty = ["SET LOCAL work_mem = '256MB'", 'SET LOCAL jit = off', f"TRUNCATE {', '.join(derived)}"]
    else:
        empty = [f'DELETE FROM {table}' for table in derived]  # noqa: S608 (table names are constants)
    return [*empty,
            f"INSERT INTO charge_balance ({', '.join(BALANCE_COLUMNS)}) "
            + standing_sql(pending_statuses, one_account=False),
            ROLLUP_FROM_BALANCES, TOTAL_FROM_BALANCES, LEDGER_DAYS]
