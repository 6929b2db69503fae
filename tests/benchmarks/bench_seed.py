"""Seeding at scale: 100,000 patients (about a million charges) into a fresh database, timed.

    .venv/bin/python tests/benchmarks/bench_seed.py [--patients 100000] [--seed 1] [--postgres] [--keep]

SQLite by default (a new file in a temporary directory). With --postgres, or when
PORTAL_TEST_POSTGRES_URL is set, a database with a unique name is created on that server
(default postgresql://postgres@127.0.0.1:5432/postgres), seeded and dropped. Prints the seconds
spent migrating and seeding, the rate, and the row count of every table. Also collected by pytest
when named explicitly (`pytest tests/benchmarks/bench_seed.py`), with 20,000 patients.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault('PORTAL_ENV', 'test')

from sqlalchemy import text  # noqa: E402

from portal.config import reload_settings  # noqa: E402
from portal.db import dispose_engine, get_engine, init_engine, migrate  # noqa: E402
from portal.demo.writer import TABLE_ORDER  # noqa: E402
from portal.services.seed import seed_database  # noqa: E402


def bench(url: str, *, patients: int, seed: int) -> dict[str, object]:
    os.environ['PORTAL_DATABASE_URL'] = url
    reload_settings()
    init_engine(url)
    try:
        began = time.perf_counter()
        migrate()
        migrated = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 5 or done >= total:
                last[0] = now
                print(f'  {done:>9,}/{total:,}  {now - migrated:6.1f} s', file=sys.stderr, flush=True)

        summary = seed_database(patients=patients, seed=seed, password='settle-demo-2026', progress=progress)
        seeded = time.perf_counter()
        with get_engine().connect() as connection:
            counts = {table: connection.execute(text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
                      for table in TABLE_ORDER}
        return {'migrate_s': migrated - began, 'seed_s': seeded - migrated, 'summary': summary, 'counts': counts}
    finally:
        dispose_engine()


def report(label: str, result: dict[str, object]) -> None:
    counts: dict[str, int] = result['counts']  # type: ignore[assignment]
    seconds: float = result['seed_s']  # type: ignore[assignment]
    total = sum(counts.values())
    print(f'{label}: migrate {result["migrate_s"]:.1f} s, seed {seconds:.1f} s '
          f'({total:,} rows, {total / seconds:,.0f} rows/s)')
    for table, count in sorted(counts.items(), key=lambda item: -item[1]):
        if count:
            print(f'  {table:24s} {count:>12,}')


def run_sqlite(patients: int, seed: int, keep: bool) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp(prefix='settle-seed-'))
    path = directory / 'seed.db'
    result = bench(f'sqlite:///{path}', patients=patients, seed=seed)
    size = sum(file.stat().st_size for file in directory.iterdir())
    report(f'SQLite ({size / 1e6:,.0f} MB at {path})', result)
    if not keep:
        for file in directory.iterdir():
            file.unlink()
        directory.rmdir()
    return result


def run_postgres(patients: int, seed: int, keep: bool) -> dict[str, object]:
    from tests.support.databases import PostgresDatabase
    database = PostgresDatabase()
    try:
        result = bench(database.url, patients=patients, seed=seed)
        report(f'PostgreSQL ({database.name})', result)
        return result
    finally:
        if keep:
            print(f'kept {database.url}')
        else:
            database.drop()


def test_seed_benchmark() -> None:
    """pytest entry point (not in the default run): a fifth of the full size, on SQLite."""
    result = run_sqlite(20_000, 1, keep=False)
    assert result['counts']['patient'] == 20_000  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--patients', type=int, default=100_000)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--postgres', action='store_true', help='seed PostgreSQL instead of SQLite')
    parser.add_argument('--keep', action='store_true', help='keep the seeded database')
    args = parser.parse_args()
    if args.postgres or os.environ.get('PORTAL_TEST_POSTGRES_URL'):
        run_postgres(args.patients, args.seed, args.keep)
    else:
        run_sqlite(args.patients, args.seed, args.keep)


if __name__ == '__main__':
    main()
