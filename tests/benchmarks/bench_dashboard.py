"""Staff dashboard figures over a large database (default: 100,000 patients, about 1,000,000 charges).

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--url sqlite:////tmp/bench100k.db] [--patients 100000]

Seeds the database when it is empty, then times, five times each (median and worst): the collections
dashboard (`dashboard.collections_dashboard`, every figure, read from the rollups), the same headline
aggregates as plain SQL over the ledger (`home.staff_home`), a drill-down page (the 120+ bucket), every
plan, adoption and KPI figure's drill-down (`dashboard_rows.rows_drill`: its first page and its last, the
deepest OFFSET, each with the figure's numerator and denominator; `--figures-only` times just these), and the
cost the rollup adds to posting one payment (the account's refresh as its commit runs it,
`receivables.refresh_account` then `apply_pending`, rolled back; tests/benchmarks/bench_rollup_writers.py
times it after a real payment, and with concurrent writers).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from portal.auth.permissions import Actor  # noqa: E402
from portal.db import (  # noqa: E402
    init_engine,
    migrate,
    read_session,
    write_session,  # noqa: E402
)
from portal.models import Charge, LedgerEntry  # noqa: E402
from portal.services import dashboard, dashboard_drill, dashboard_rows, home, receivables  # noqa: E402
from portal.services.seed import seed_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', default='sqlite:////tmp/bench100k.db')
    parser.add_argument('--patients', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--figures-only', action='store_true', help='time only the figure drill-downs')
    args = parser.parse_args()
    init_engine(args.url)
    migrate()
    with read_session() as session:
        charges = session.exec(select(func.count()).select_from(Charge)).one()
    if not charges:
        started = time.perf_counter()
        seed_database(patients=args.patients, seed=1, password='settle-demo-2026')
        print(f'seeded {args.patients:,} patients in {time.perf_counter() - started:.1f} s')
    with read_session() as session:
        charges = session.exec(select(func.count()).select_from(Charge)).one()
        entries = session.exec(select(func.count()).select_from(LedgerEntry)).one()
    staff = Actor(user_id=0, role='staff')
    print(f'{args.url.split(":")[0]}: {charges:,} charges, {entries:,} ledger entries')
    if args.figures_only:
        _figures(staff, args.runs)
        return 0
    _time('dashboard (rollups, all figures)', args.runs, lambda s: dashboard.collections_dashboard(s, actor=staff))
    _time('plain SQL over the ledger (home.staff_home)', args.runs, home.staff_home)
    _time('drill-down page (patient 120+)', args.runs, lambda s: dashboard_drill.ar_drill(
        s, actor=staff, filters=dashboard.Filters(), responsibility='patient', bucket='120+'))
    with read_session() as session:
        account_id = session.exec(select(LedgerEntry.account_id).order_by(LedgerEntry.id.desc()).limit(1)).one()
    timings = []
    for _ in range(args.runs):
        with write_session() as session:
            started = time.perf_counter()
            receivables.refresh_account(session, account_id)
            receivables.apply_pending(session)  # what the commit runs
            timings.append(time.perf_counter() - started)
            session.rollback()
    _report('rollup cost per payment (refresh_account + apply_pending)', timings)
    _figures(staff, args.runs)
    return 0


def _figures(staff: Actor, runs: int) -> None:
    """Each figure's drill-down: its first page and its last (the deepest OFFSET), rolled back (a view is
    audited)."""
    for figure in dashboard_rows.FIGURES:
        with write_session() as session:
            first = dashboard_rows.rows_drill(session, actor=staff, figure=figure, filters=dashboard.Filters())
            session.rollback()
        for page in sorted({1, first.pages}):
            _time(f'{figure} page {page:,} of {first.pages:,} ({first.rows_count:,} rows)', runs,
                  lambda s, page=page, figure=figure: dashboard_rows.rows_drill(s, actor=staff, figure=figure,
                                                                                filters=dashboard.Filters(), page=page),
                  session_of=write_session)


def _time(label: str, runs: int, read, session_of=read_session) -> None:  # noqa: ANN001
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        with session_of() as session:
            read(session)
            if session_of is write_session:
                session.rollback()
        timings.append(time.perf_counter() - started)
    _report(label, timings)


def _report(label: str, timings: list[float]) -> None:
    print(f'  {label}: median {statistics.median(timings) * 1000:.1f} ms, worst {max(timings) * 1000:.1f} ms')


if __name__ == '__main__':
    raise SystemExit(main())
