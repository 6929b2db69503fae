"""Concurrent money moves and what keeping the dashboard's rollups current costs them.

    .venv/bin/python tests/benchmarks/bench_rollup_writers.py --url postgresql://postgres@127.0.0.1:5432/rollupbench \
        [--patients 3000] [--writers 8] [--seconds 20] [--hold-ms 0]

Seeds the database when it is empty. Then:
- one writer: the cost of a payment's rollup step (the money-moved step's refresh, and on this code the
  commit-time apply), timed inside a transaction after the payment's ledger entry, rolled back;
- `--writers` threads, each posting settled $0.01 payments the way the payment flow does (lock the account
  row, payment, allocation, ledger entry, the money-moved step, commit) on accounts picked at random, for
  `--seconds`: payments per second, latency median and p95, and errors (a deadlock would be one).
  `--hold-ms` keeps each transaction open that long after its money-moved step, as a use-case does that
  goes on to write its audit, receipt and notices (or whose database is a network round trip away).
"""
from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from portal.db import init_engine, migrate, read_session, write_session  # noqa: E402
from portal.models import Charge, Payment, PaymentStatus  # noqa: E402
from portal.services import ledger, receivables  # noqa: E402
from portal.services.money_moved import account_money_moved  # noqa: E402
from portal.services.payments.allocation import allocate  # noqa: E402
from portal.services.payments.attempts import lock_account  # noqa: E402
from portal.services.seed import seed_database  # noqa: E402

_receipts = itertools.count(int(time.time() * 1000) % 10**9)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--url', default='postgresql://postgres@127.0.0.1:5432/rollupbench')
    parser.add_argument('--patients', type=int, default=3000)
    parser.add_argument('--writers', type=int, default=8)
    parser.add_argument('--seconds', type=float, default=20)
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--hold-ms', type=float, default=0)
    args = parser.parse_args()
    init_engine(args.url)
    migrate()
    with read_session() as session:
        if not session.exec(select(func.count()).select_from(Charge)).one():
            seed_database(patients=args.patients, seed=1, password='settle-demo-2026')
    with read_session() as session:  # a new read: SQLite's would not see the seed
        accounts = list(session.exec(text(  # accounts with something open to pay
            'SELECT DISTINCT account_id FROM charge_balance WHERE open_amount > 100')).scalars())
    print(f"{args.url.split(':')[0]}: {len(accounts):,} accounts with an open charge")
    _one_writer(accounts, args.runs)
    _many_writers(accounts, args.writers, args.seconds, args.hold_ms / 1000)
    return 0


def _pay(session: Session, account_id: int) -> None:
    lock_account(session, account_id)
    payment = Payment(account_id=account_id, amount=1, method='card', status=PaymentStatus.succeeded,
                      receipt_number=f'B{next(_receipts):012d}'[:20])
    session.add(payment)
    session.flush()
    allocate(session, payment=payment)
    ledger.post(session, account_id=account_id, kind='patient_payment', amount=-1,
                external_ref=f'bench-pay-{payment.id}', effective_date=date.today(), payment_id=payment.id)


def _one_writer(accounts: list[int], runs: int) -> None:
    apply_pending = getattr(receivables, 'apply_pending', None)  # the commit-time step, where there is one
    step, whole = [], []
    for account_id in random.Random(1).sample(accounts, runs):
        with write_session() as session:
            began = time.perf_counter()
            _pay(session, account_id)
            session.flush()
            started = time.perf_counter()
            account_money_moved(session, account_id=account_id)
            if apply_pending is not None:
                apply_pending(session)
            ended = time.perf_counter()
            step.append(ended - started)
            whole.append(ended - began)
            session.rollback()
    _report('rollup step per payment (money-moved refresh + commit-time apply)', step)
    _report('whole payment before commit (lock, payment, allocation, entry, money-moved step)', whole)


def _many_writers(accounts: list[int], writers: int, seconds: float, hold: float) -> None:
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[str] = []

    def writer(seed: int) -> None:
        pick = random.Random(seed)
        while time.perf_counter() < stop:
            account_id = pick.choice(accounts)
            started = time.perf_counter()
            try:
                with write_session() as session:
                    _pay(session, account_id)
                    account_money_moved(session, account_id=account_id)
                    time.sleep(hold)
            except Exception as error:  # noqa: BLE001  (counted and shown: a deadlock would land here)
                errors.append(type(error).__name__ + ': ' + str(error).splitlines()[0])
                continue
            latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=writer, args=(seed,)) for seed in range(writers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    print(f'  {writers} writers holding {hold * 1000:.0f} ms, {elapsed:.1f} s: {len(latencies)} payments, '
          f'{len(latencies) / elapsed:.1f}/s, '
          f'latency median {statistics.median(latencies) * 1000:.1f} ms, '
          f'p95 {statistics.quantiles(latencies, n=20)[-1] * 1000:.1f} ms, {len(errors)} errors')
    for message in sorted(set(errors))[:5]:
        print(f'    {message}')
    with write_session() as session:  # the rollups still equal a reading from scratch
        kept = _derived(session)
        receivables.rebuild(session.connection())
        fresh = _derived(session)
        session.rollback()
    print(f'  rollups equal a rebuild from the ledger afterwards: {kept == fresh}')


def _derived(session: Session) -> tuple:
    return tuple(sorted(map(tuple, session.exec(text(query)).all())) for query in (  # type: ignore[call-overload]
        'SELECT responsibility, date_of_service, provider_id, location_id, payer_id, charges, open_charges, charged,'
        ' insurance_paid, adjusted, patient_paid, open_amount FROM receivable_rollup WHERE charges <> 0',
        'SELECT responsibility, provider_id, location_id, payer_id, open_charges, open_amount FROM receivable_total'
        ' WHERE open_charges <> 0 OR open_amount <> 0',
        'SELECT day, kind, method, channel, entries, amount FROM ledger_day'))


def _report(label: str, timings: list[float]) -> None:
    print(f'  {label}: median {statistics.median(timings) * 1000:.2f} ms, '
          f'p95 {statistics.quantiles(timings, n=20)[-1] * 1000:.2f} ms ({len(timings)} runs)')


if __name__ == '__main__':
    raise SystemExit(main())
