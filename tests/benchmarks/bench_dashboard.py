"""Staff dashboard figures over a large database (default: 100,000 patients, about 1,000,000 charges).

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--url sqlite:////tmp/bench100k.db] [--patients 100000]

Seeds the database when it is empty, then times `home.staff_home` (total A/R, accounts with a
balance, 12 months of collections) five times and prints the median and the worst.
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

from portal.db import init_engine, migrate, read_session  # noqa: E402
from portal.models import Charge, LedgerEntry  # noqa: E402
from portal.services import home  # noqa: E402
from portal.services.seed import seed_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', default='sqlite:////tmp/bench100k.db')
    parser.add_argument('--patients', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=5)
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
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with read_session() as session:
            home.staff_home(session)
        timings.append(time.perf_counter() - started)
    print(f'{args.url.split(":")[0]}: {charges:,} charges, {entries:,} ledger entries; staff dashboard '
          f'median {statistics.median(timings) * 1000:.0f} ms, worst {max(timings) * 1000:.0f} ms')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
