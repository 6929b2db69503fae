"""Deterministic demo data: `seed_database` for the CLI and benchmarks, `seed_demo_if_empty` for start-up.

The same patient count and seed on the same day give the same rows (dates are relative to
portal.clock.today()); only password hashes differ, argon2 salts being random. Generated users
share one precomputed hash of a random throwaway password, so nobody can sign in as them; the two
documented sign-ins get their own hash of the demo password. portal/demo/ holds the reference data
and the generators; portal/demo/writer.py gets rows into the database quickly, in one transaction.
"""
from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from argon2 import PasswordHasher
from sqlalchemy import Connection, Engine, text
from sqlmodel import col, select

from portal import clock
from portal.config import get_settings
from portal.db import get_engine, read_session, write_session
from portal.demo.accounts import build_household
from portal.demo.card_image import card_png
from portal.demo.context import Context
from portal.demo.households import random_household
from portal.demo.reference import add_reference
from portal.demo.showcase import (
    DEMO_ACCOUNT_NUMBER,
    DEMO_ADMIN_EMAIL,
    DEMO_PATIENT_EMAIL,
    DEMO_STAFF_EMAIL,
    demo_household,
)
from portal.demo.writer import TABLE_ORDER, BulkWriter
from portal.errors import DomainError
from portal.models import GuarantorAccount, Patient, PaymentPlan, PlanStatus
from portal.models.insurance import Coverage, Payer
from portal.services import files, receivables
from portal.services.coverage import CARD_KIND, SIDES
from portal.services.demo_remittances import write_demo_remittances
from portal.services.money_moved import account_money_moved

DEMO_PATIENTS = 200
DEMO_SEED = 2026
FAST_LOAD_FROM = 20_000  # patients; below this, inserting into live indexes is quick enough
FLUSH_ROWS = 40_000  # ledger rows per write
GENERATION_SHARE = 0.9  # of the progress bar; rebuilding indexes fills the rest
DEMO_NPI = '1234567893'  # the payee NPI in demo 835s when the practice has none
SEED_LOCK = 72_702_026  # PostgreSQL advisory lock key: one seeder at a time

Progress = Callable[[int, int], None]


class SeedError(DomainError):
    pass


@dataclass(frozen=True)
class SeedSummary:
    patients: int
    accounts: int
    seed: int
    seconds: float
    password: str
    rows: dict[str, int] = field(default_factory=dict)
    remittance_files: tuple[str, ...] = ()  # demo 835s about the seeded claims (services/demo_remittances.py)

    def describe(self) -> str:
        rows = self.rows
        return '\n'.join((
            f'Seeded {self.patients:,} patients in {self.accounts:,} accounts (seed {self.seed}) '
            f'in {self.seconds:.1f} s:',
            f"  {rows.get('charge', 0):,} charges, {rows.get('ledger_entry', 0):,} ledger entries, "
            f"{rows.get('claim', 0):,} claims, {rows.get('payment', 0):,} payments, "
            f"{rows.get('statement', 0):,} statements",
            f"  {rows.get('user', 0):,} users, {rows.get('appointment', 0):,} appointments, "
            f"{rows.get('message', 0):,} messages, {rows.get('payment_plan', 0):,} payment plans",
            f'Demo sign-ins (password: {self.password}):',
            f'  patient  {DEMO_PATIENT_EMAIL}  (Maria Alvarez, account {DEMO_ACCOUNT_NUMBER})',
            f'  staff    {DEMO_STAFF_EMAIL}  (billing staff; no MFA in this demo database)',
            f'  admin    {DEMO_ADMIN_EMAIL}  (practice admin: users, settings, saved replies, audit; no MFA here)',
            *([self.remittance_line()] if self.remittance_files else []),
        ))

    def remittance_line(self) -> str:
        """Where the demo 835s are, for the seed summary and the start-up that seeds an empty database."""
        return ('Demo 835 remittances to import (python -m portal import-835 …, or /staff/remittances): '
                f'{", ".join(self.remittance_files)}')


def seed_database(*, patients: int, seed: int, password: str, progress: Progress | None = None,
                  fast: bool | None = None) -> SeedSummary:
    """Add `patients` demo patients (at least the 3 of the demo household) and all that goes with them.

    Refuses a database that already holds the demo sign-ins. `fast` (default: from 20,000 patients)
    drops secondary indexes, and on PostgreSQL constraints, for the load and rebuilds them before commit.
    """
    summary = _seed(patients=patients, seed=seed, password=password, progress=progress, fast=fast,
                    only_if_empty=False)
    assert summary is not None
    return summary


def seed_demo_if_empty(*, password: str) -> SeedSummary | None:
    """Seed the small demo set when the database has no users at all; None when it has some."""
    with get_engine().connect() as connection:
        if connection.execute(text('SELECT 1 FROM "user" LIMIT 1')).first() is not None:
            return None
    return _seed(patients=DEMO_PATIENTS, seed=DEMO_SEED, password=password, progress=None, fast=False,
                 only_if_empty=True)


def _seed(*, patients: int, seed: int, password: str, progress: Progress | None, fast: bool | None,
          only_if_empty: bool) -> SeedSummary | None:
    if patients < 0:
        raise SeedError('The number of patients cannot be negative.')
    started = time.perf_counter()
    settings = get_settings()
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    demo_hash = hasher.hash(password)
    shared_hash = hasher.hash(secrets.token_urlsafe(24))  # a password nobody knows
    fast = patients >= FAST_LOAD_FROM if fast is None else fast
    total = max(patients, 3)
    engine = get_engine()
    if engine.dialect.name == 'sqlite':
        engine = engine.execution_options(sqlite_begin='IMMEDIATE')
    with engine.connect() as connection, _bulk_session(connection, fast=fast), connection.begin():
        if connection.dialect.name == 'postgresql':
            connection.execute(text('SELECT pg_advisory_xact_lock(:key)'), {'key': SEED_LOCK})
        if only_if_empty and connection.execute(text('SELECT 1 FROM "user" LIMIT 1')).first() is not None:
            return None  # another process seeded first
        taken = connection.execute(text('SELECT COUNT(*) FROM "user" WHERE email IN (:patient, :staff)'),
                                   {'patient': DEMO_PATIENT_EMAIL, 'staff': DEMO_STAFF_EMAIL}).scalar()
        if taken:
            raise SeedError('This database already holds the demo data. Seed an empty database instead.')
        if connection.execute(text('SELECT 1 FROM "user" LIMIT 1')).first() is not None:
            # real sign-ins next to published demo passwords would be one README away from exposure
            raise SeedError('This database holds real users: demo data is never added to it. '
                            'Seed an empty database instead.')
        writer = BulkWriter(connection)
        context = Context(rng=random.Random(seed), today=clock.today(), null=writer.null,
                          next_ids=_next_ids(connection), timezone=ZoneInfo(settings.practice_timezone))
        add_reference(context, connection, settings, staff_hash=demo_hash, shared_hash=shared_hash)
        writer.write_batch(context.batch)
        if fast:
            writer.drop_secondary()
        _generate(context, writer, total=total, demo_hash=demo_hash, shared_hash=shared_hash,
                  progress=progress)
        _finish_runs(context, connection)
        writer.write('audit_event', [(context.next_id('audit_event'), context.stamp(context.yesterday, 0),
                                      'system', 'demo.seeded', 'database', '', 'ok', '',
                                      f'patients={total} seed={seed}')])
        generated = int(total * GENERATION_SHARE)
        writer.rebuild_secondary(
            (lambda done, steps: progress(generated + (total - generated) * done // steps, total)) if progress
            else None)
        writer.advance_sequences()
        receivables.rebuild(connection)  # the bulk load went past the ledger's writer
    _refresh_statistics(engine, vacuum=fast)  # the plans step below (and every page after) needs good plans
    _attach_demo_cards()
    _plans_follow_the_ledger()
    if progress:
        progress(total, total)
    rows = dict(writer.rows_written)
    with read_session() as session:
        remits = write_demo_remittances(session, Path(settings.file_dir) / 'demo-835', on=clock.today(),
                                        npi=settings.practice_npi or DEMO_NPI)
    return SeedSummary(patients=rows['patient'], accounts=rows['guarantor_account'], seed=seed,
                       seconds=time.perf_counter() - started, password=password, rows=rows,
                       remittance_files=tuple(str(path) for path in remits))


def _plans_follow_the_ledger() -> None:
    """The generated installments' statuses as the ledger gives them: the money-moved step for each account
    with an open plan, as after any posting (pages only read plans, so they must agree from the start)."""
    with write_session() as session:
        accounts = session.exec(select(PaymentPlan.account_id).where(col(PaymentPlan.status).in_(
            (PlanStatus.active, PlanStatus.delinquent))).distinct()).all()
        for account_id in accounts:
            account_money_moved(session, account_id=account_id)


def _attach_demo_cards() -> None:
    """The demo household's insurance cards, front and back, through the file service: one small picture
    drawn once and kept for each of its coverages (a handful of files, whatever the number of patients)."""
    with write_session() as session:
        rows = session.exec(select(Coverage, Payer.name).join(Payer, Payer.id == Coverage.payer_id)
                            .join(Patient, Patient.id == Coverage.patient_id)
                            .join(GuarantorAccount, GuarantorAccount.id == Patient.account_id)
                            .where(GuarantorAccount.account_number == DEMO_ACCOUNT_NUMBER)
                            .order_by(Coverage.id)).all()
        if not rows:
            return
        first, payer = rows[0]
        picture = card_png(payer, first.plan_name, first.group_number)
        for coverage, _ in rows:
            for side in SIDES:
                files.store(session, owner_kind=CARD_KIND, owner_id=coverage.id, name=f'card-{side}.png',
                            data=picture, uploaded_by=None)


def _refresh_statistics(engine: Engine, *, vacuum: bool) -> None:
    """After a bulk load the planner knows nothing of the new rows: refresh its statistics (without them
    SQLite reads a plan's new charges through the kind index: 0.2 s instead of 10 ms per plan) and, after a
    fast load on PostgreSQL, the visibility map, so dashboards can answer from covering indexes alone."""
    if engine.dialect.name == 'postgresql':
        with engine.connect().execution_options(isolation_level='AUTOCOMMIT') as connection:
            connection.execute(text('VACUUM ANALYZE' if vacuum else 'ANALYZE'))
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql('PRAGMA analysis_limit=1000')  # sampled: seconds, not minutes
            connection.exec_driver_sql('ANALYZE')


def _generate(context: Context, writer: BulkWriter, *, total: int, demo_hash: str, shared_hash: str,
              progress: Progress | None) -> None:
    """The demo household first (with its own random source, so it never changes), then random ones."""
    showcase = demo_household(context.today)
    build_household(context, showcase, random.Random(f'settle-demo-{DEMO_ACCOUNT_NUMBER}'), password_hash=demo_hash)
    done = len(showcase.people)
    rng, batch = context.rng, context.batch
    while done < total:
        household = random_household(rng, context.today, max_people=total - done)
        build_household(context, household, rng, password_hash=shared_hash)
        done += len(household.people)
        if len(batch['ledger_entry']) >= FLUSH_ROWS:
            writer.write_batch(batch)
            if progress:
                progress(int(done * GENERATION_SHARE), total)
    writer.write_batch(batch)


def _finish_runs(context: Context, connection: Connection) -> None:
    for period, run_id in context.run_ids.items():
        count = context.run_counts.get(period, 0)
        connection.execute(text('UPDATE statement_run SET accounts_considered = :count, statements_created = :count '
                                'WHERE id = :id'), {'count': count, 'id': run_id})


def _next_ids(connection: Connection) -> dict[str, int]:
    """Primary keys are assigned here, after the largest id already in each table."""
    return {table: int(connection.exec_driver_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"').scalar()) + 1
            for table in TABLE_ORDER}


@contextmanager
def _bulk_session(connection: Connection, *, fast: bool) -> Iterator[None]:
    """SQLite only: no fsync at commit, a bigger page cache and (fast mode) no per-row foreign-key
    checks on this one connection while it loads; its previous settings come back afterwards."""
    if connection.dialect.name != 'sqlite':
        yield
        return
    raw = connection.connection.driver_connection
    saved = {name: raw.execute(f'PRAGMA {name}').fetchone()[0]
             for name in ('synchronous', 'cache_size', 'foreign_keys')}
    raw.execute('PRAGMA synchronous=OFF')
    raw.execute('PRAGMA cache_size=-262144')  # 256 MiB
    if fast:
        raw.execute('PRAGMA foreign_keys=OFF')
    try:
        yield
    finally:
        for name, value in saved.items():
            raw.execute(f'PRAGMA {name}={int(value)}')
