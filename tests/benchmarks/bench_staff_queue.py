"""The staff queue at 50,000 threads and 500,000 messages: the first page and each filter, on SQLite and
PostgreSQL (issue 14: each under 300 ms).

    .venv/bin/python tests/benchmarks/bench_staff_queue.py [--databases sqlite postgres] [--threads 50000]

Builds a fresh database per engine (a temporary SQLite file; a PostgreSQL database with a unique name,
dropped afterwards), migrates it, bulk-inserts accounts, staff, threads (most resolved, as in a practice
that answers its mail) and ten messages per thread, then times `staff_queue.staff_queue` five times per
filter and prints the median and the worst. Each call also computes every filter's count.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from portal.auth.permissions import Actor  # noqa: E402
from portal.db import dispose_engine, init_engine, migrate, read_session, write_session  # noqa: E402
from portal.models import GuarantorAccount, Message, MessageThread, User  # noqa: E402
from portal.models.messaging import ThreadCategory, ThreadStatus  # noqa: E402
from portal.services.messaging import staff_queue  # noqa: E402

CHUNK = 10_000
CASES = [('first page (open)', {}), ('unassigned', {'view': 'unassigned'}), ('mine', {'view': 'mine'}),
         ('past reply date', {'view': 'overdue'}), ('billing disputes', {'view': 'disputes'}),
         ('category: payment plan', {'category': 'payment_plan'}), ('status: waiting on patient',
                                                                     {'status': 'waiting_on_patient'}),
         ('status: resolved', {'status': 'resolved'}), ('all, page 40', {'view': 'all', 'page': 40})]


def _chunks(rows: list[dict]) -> list[list[dict]]:
    return [rows[start:start + CHUNK] for start in range(0, len(rows), CHUNK)]


def seed(threads: int, messages_per_thread: int, rng: random.Random) -> int:
    """Bulk rows through Core inserts; returns a staff user id to act as."""
    accounts = max(1, threads // 10)
    now = datetime.now(UTC)
    today = date.today()
    with write_session() as session:
        connection = session.connection()
        connection.execute(insert(User), [{'email': f'staff{n}@example.com', 'password_hash': 'x', 'role': 'staff',
                                           'first_name': f'Staff{n}', 'last_name': 'Bench'} for n in range(12)])
        staff_ids = [row[0] for row in connection.exec_driver_sql(
            "SELECT id FROM \"user\" WHERE role = 'staff' ORDER BY id").all()]
        for chunk in _chunks([{'account_number': f'B{n:08d}', 'guarantor_first_name': 'Pat',
                               'guarantor_last_name': f'Bench{n}'} for n in range(accounts)]):
            connection.execute(insert(GuarantorAccount), chunk)
        first_account = connection.exec_driver_sql('SELECT min(id) FROM guarantor_account').scalar()
    statuses = [ThreadStatus.resolved] * 80 + [ThreadStatus.waiting_on_patient] * 12 + [ThreadStatus.open] * 8
    categories = list(ThreadCategory)
    rows = []
    for n in range(threads):
        status = rng.choice(statuses)
        last = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
        rows.append({'account_id': first_account + rng.randrange(accounts), 'subject': f'Thread {n}',
                     'category': rng.choice(categories), 'status': status, 'created_at': last - timedelta(days=3),
                     'last_message_at': last,
                     'assigned_to_user_id': None if rng.random() < 0.5 else rng.choice(staff_ids),
                     'expected_reply_by': today + timedelta(days=rng.randint(-10, 5))
                     if status == ThreadStatus.open else None})
    with write_session() as session:
        for chunk in _chunks(rows):
            session.connection().execute(insert(MessageThread), chunk)
        first_thread = session.connection().exec_driver_sql('SELECT min(id) FROM message_thread').scalar()
    batch: list[dict] = []
    for n in range(threads):
        for m in range(messages_per_thread):
            batch.append({'thread_id': first_thread + n, 'author_role': 'patient' if m % 2 == 0 else 'staff',
                          'body': 'A question about my bill. ' * 3, 'internal_note': False,
                          'created_at': now - timedelta(days=messages_per_thread - m)})
        if len(batch) >= 50_000 or n == threads - 1:
            with write_session() as session:
                for chunk in _chunks(batch):
                    session.connection().execute(insert(Message), chunk)
            batch = []
    return staff_ids[0]


def bench(url: str, threads: int, per_thread: int, runs: int) -> None:
    init_engine(url)
    try:
        migrate()
        started = time.perf_counter()
        staff_id = seed(threads, per_thread, random.Random(14))
        print(f'{url.split(":")[0]}: seeded {threads:,} threads, {threads * per_thread:,} messages in '
              f'{time.perf_counter() - started:.0f} s')
        if url.startswith('postgresql'):
            with write_session() as session:
                session.connection().exec_driver_sql('ANALYZE')
        actor = Actor(staff_id, 'staff')
        for label, filters in CASES:
            timings = []
            for _ in range(runs):
                began = time.perf_counter()
                with read_session() as session:
                    page = staff_queue.staff_queue(session, actor=actor, **filters)
                timings.append(time.perf_counter() - began)
            print(f'  {label:<28} {page.total:>7,} threads  median {statistics.median(timings) * 1000:6.1f} ms  '
                  f'worst {max(timings) * 1000:6.1f} ms')
    finally:
        dispose_engine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--databases', nargs='+', default=['sqlite', 'postgres'])
    parser.add_argument('--threads', type=int, default=50_000)
    parser.add_argument('--messages-per-thread', type=int, default=10)
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    for name in args.databases:
        if name == 'sqlite':
            with tempfile.TemporaryDirectory() as directory:
                bench(f'sqlite:///{directory}/queue.db', args.threads, args.messages_per_thread, args.runs)
        else:
            from tests.support.databases import PostgresDatabase
            database = PostgresDatabase()
            try:
                bench(database.url, args.threads, args.messages_per_thread, args.runs)
            finally:
                database.drop()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
