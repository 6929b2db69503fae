"""Statement run over a large database, and the PDF render time of one statement.

    .venv/bin/python tests/benchmarks/bench_statement_run.py --url sqlite:////tmp/bench-accounts.db \
        [--patients 210000] [--days-ahead 35]

Seeds the database when it is empty (210,000 patients are about 101,000 guarantor accounts), works
on a copy of a SQLite file (so every invocation measures the same thing), then times:
  1. a run `--days-ahead` days from today (a new month: every account that owes is due one),
  2. the same run again (a rerun: nothing is issued twice),
and renders one statement PDF twenty times (median and best after the first).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlmodel import select  # noqa: E402

from portal.auth.permissions import Actor  # noqa: E402
from portal.config import get_settings  # noqa: E402
from portal.db import dispose_engine, init_engine, is_sqlite, migrate, read_session, write_session  # noqa: E402
from portal.documents.statement_pdf import render_statement  # noqa: E402
from portal.models import GuarantorAccount, LedgerEntry, Statement, User  # noqa: E402
from portal.services import statements  # noqa: E402
from portal.services.practice import load_practice_today as practice_today  # noqa: E402
from portal.services.seed import seed_database  # noqa: E402
from portal.services.statement_run import run_statements  # noqa: E402

PDF_TARGET_MS = 50  # a render once fonts are parsed (timed here, not in the unit tests: shared cores vary)


def _working_copy(url: str) -> tuple[str, Path | None]:
    if not is_sqlite(url):
        return url, None
    source = Path(make_url(url).database)
    folder = Path(tempfile.mkdtemp(prefix='bench-statements-', dir=source.parent))
    target = folder / source.name
    shutil.copyfile(source, target)
    return f'sqlite:///{target}', folder


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f'\r  {done:,}/{total:,} statements written')
    if done >= total:
        sys.stderr.write('\n')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', default='sqlite:////tmp/bench-accounts.db')
    parser.add_argument('--patients', type=int, default=210_000)
    parser.add_argument('--days-ahead', type=int, default=35)
    args = parser.parse_args()
    init_engine(args.url)
    migrate()
    with read_session() as session:
        if not session.exec(select(func.count()).select_from(GuarantorAccount)).one():
            started = time.perf_counter()
            seed_database(patients=args.patients, seed=1, password='settle-demo-2026')
            print(f'seeded {args.patients:,} patients in {time.perf_counter() - started:.1f} s')
    dispose_engine()
    url, folder = _working_copy(args.url)
    try:
        init_engine(url)
        with read_session() as session:
            accounts = session.exec(select(func.count()).select_from(GuarantorAccount)).one()
            entries = session.exec(select(func.count()).select_from(LedgerEntry)).one()
        print(f'{accounts:,} accounts, {entries:,} ledger entries ({url.split(":")[0]})')
        on = practice_today() + timedelta(days=args.days_ahead)
        for label in ('run', 'rerun'):
            started = time.perf_counter()
            result = run_statements(on=on, progress=_progress)
            print(f'{label} {result.period}: {time.perf_counter() - started:.1f} s, {result.accounts_considered:,} '
                  f'accounts considered, {result.statements_created:,} statements, {result.skipped_on_hold:,} on '
                  f'hold, {result.skipped_not_due:,} not due, {result.emails_queued:,} emails')
        _pdf_timing()
    finally:
        dispose_engine()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def _pdf_timing() -> None:
    with read_session() as session:
        statement_id = session.exec(select(Statement.id).order_by(Statement.id)).first()
        staff_id = session.exec(select(User.id).where(User.role == 'staff').order_by(User.id)).first()
    with write_session() as session:
        detail = statements.statement_detail(session, actor=Actor(user_id=staff_id, role='staff'),
                                             statement_id=statement_id)
    pay_url = f'{get_settings().public_base_url}/pay?code={detail.quick_pay_code}'
    timings = []
    for _ in range(21):
        started = time.perf_counter()
        pdf = render_statement(detail, pay_url=pay_url)
        timings.append((time.perf_counter() - started) * 1000)
    lines = sum(len(visit.lines) for visit in detail.visits)
    median = statistics.median(timings[1:])
    print(f'statement PDF ({lines} lines, {len(pdf):,} bytes): first {timings[0]:.0f} ms (parses the fonts), '
          f'then median {median:.0f} ms, best {min(timings[1:]):.0f} ms '
          f'(target < {PDF_TARGET_MS} ms: {"met" if median < PDF_TARGET_MS else "NOT MET"})')


if __name__ == '__main__':
    raise SystemExit(main())
