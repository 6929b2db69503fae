"""The staff account desk over a large database (default: 100,000 patients): search and the account page.

    .venv/bin/python tests/benchmarks/bench_desk.py [--url sqlite:////tmp/desk100k.db] [--patients 100000]

Seeds the database when it is empty, then times `desk.search.search_accounts` for each kind of query (a full
name, a last-name prefix, a dependent's first and last name, a date of birth, a phone, an email, an account
number, an MRN, text that matches nothing) and `desk.account.desk_account` for 20 accounts with the most
ledger entries, and a worklist's first page; prints medians and the worst. Targets: search < 100 ms, the
account page < 300 ms.
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
from sqlmodel import col, select  # noqa: E402

from portal.auth.permissions import Actor  # noqa: E402
from portal.db import init_engine, migrate, read_session, write_session  # noqa: E402
from portal.models import GuarantorAccount, LedgerEntry, Patient, User  # noqa: E402
from portal.services.desk import account, search, worklists  # noqa: E402
from portal.services.seed import seed_database  # noqa: E402


def _timed(runs: int, work) -> list[float]:  # noqa: ANN001
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', default='sqlite:////tmp/desk100k.db')
    parser.add_argument('--patients', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=7)
    args = parser.parse_args()
    init_engine(args.url)
    migrate()
    with read_session() as session:
        patients = session.exec(select(func.count()).select_from(Patient)).one()
    if not patients:
        started = time.perf_counter()
        seed_database(patients=args.patients, seed=1, password='settle-demo-2026')
        print(f'seeded {args.patients:,} patients in {time.perf_counter() - started:.1f} s')
    with read_session() as session:
        staff_id = session.exec(select(User.id).where(User.role == 'staff')).first()
        sample = session.exec(select(GuarantorAccount).order_by(col(GuarantorAccount.id)).offset(5000)).first()
        child = session.exec(select(Patient).where(Patient.relationship_to_guarantor == 'child')
                             .order_by(col(Patient.id)).offset(3000)).first()
        entries = session.exec(select(func.count()).select_from(LedgerEntry)).one()
        patients = session.exec(select(func.count()).select_from(Patient)).one()
        busiest = list(session.exec(select(LedgerEntry.account_id).group_by(col(LedgerEntry.account_id))
                                    .order_by(func.count().desc()).limit(20)))
    actor = Actor(staff_id, 'staff')
    queries = {
        'full name': f'{sample.guarantor_first_name} {sample.guarantor_last_name}',
        'last-name prefix': sample.guarantor_last_name[:4],
        "dependent's name": f'{child.first_name} {child.last_name}',
        'date of birth': f'{child.date_of_birth:%m/%d/%Y}',
        'phone': sample.phone or '(217) 555-0123',
        'email': (sample.email or 'patient@example.com').upper(),
        'account number': sample.account_number.lower(),
        'MRN': child.mrn,
        'no match (%_ and emoji)': "%_'\U0001F600",
    }
    print(f'{args.url.split(":")[0]}: {patients:,} patients, {entries:,} ledger entries')
    for label, query in queries.items():
        found = []

        def run(query: str = query, found: list = found) -> None:
            with write_session() as session:
                found.append(len(search.search_accounts(session, actor=actor, query=query).hits))
        timings = _timed(args.runs, run)
        print(f'  search by {label:<24} {found[0]:>3} hits: median {statistics.median(timings):6.1f} ms, '
              f'worst {max(timings):6.1f} ms')
    pages = []
    for account_id in busiest:
        def view(account_id: int = account_id) -> None:
            with write_session() as session:
                account.desk_account(session, actor=actor, account_id=account_id)
        pages.extend(_timed(2, view)[1:])  # the second view of each: warm caches, as a clerk's page is
    print(f'  account page, 20 busiest accounts: median {statistics.median(pages):6.1f} ms, worst {max(pages):6.1f} ms')

    def first_page() -> None:
        with write_session() as session:
            worklists.worklist(session, actor=actor, name='past_due')
    timings = _timed(3, first_page)
    print(f'  worklists (5 counts + a page): median {statistics.median(timings):6.1f} ms, worst {max(timings):6.1f} ms')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
