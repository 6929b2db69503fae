"""Signed webhook events processed per second by POST /webhooks/stripe (target: 200/s).

    .venv/bin/python tests/benchmarks/bench_webhooks.py [--events 2000] [--concurrency 16]

Starts the real portal (demo payments, SQLite, demo data) with a webhook secret, then posts
Stripe-shaped `payment_intent.succeeded` events, each signed like Stripe signs them, for demo accounts:
every event verifies the signature, stores the event id once, creates the payment, allocates it to the
oldest open charges and posts the ledger entry. A tenth of the deliveries are repeats (a retry from
Stripe), which must change nothing. Reports events/s, latency percentiles and checks the ledger.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from portal.payments.signatures import sign  # noqa: E402
from tests.support.servers import start_portal, wait_for_demo_data  # noqa: E402

SECRET = 'whsec_benchmark_only'


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float('nan')


def accounts(database: Path, count: int) -> list[int]:
    with sqlite3.connect(database) as connection:
        rows = connection.execute('SELECT account_id FROM ledger_entry GROUP BY account_id '
                                  'HAVING SUM(amount) > 10000 LIMIT ?', (count,)).fetchall()
    return [row[0] for row in rows]


def events(account_ids: list[int], count: int) -> list[bytes]:
    now = int(time.time())
    bodies = []
    for number in range(count):
        account_id = account_ids[number % len(account_ids)]
        bodies.append(json.dumps({
            'id': f'evt_bench_{number}', 'type': 'payment_intent.succeeded', 'created': now,
            'data': {'object': {'id': f'pi_bench_{number}', 'object': 'payment_intent', 'amount': 100,
                                'currency': 'usd', 'status': 'succeeded',
                                'metadata': {'account_id': str(account_id)}}}}).encode())
    return bodies


async def deliver(url: str, bodies: list[bytes], concurrency: int) -> tuple[list[float], dict[int, int]]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            headers = {'Content-Type': 'application/json', 'Stripe-Signature': sign(body, SECRET)}
            began = time.perf_counter()
            async with http.post(url, data=body, headers=headers) as response:
                await response.read()
                statuses[response.status] = statuses.get(response.status, 0) + 1
            latencies.append(time.perf_counter() - began)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
    return latencies, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--events', type=int, default=2000)
    parser.add_argument('--concurrency', type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='bench-webhooks-') as directory:
        server = start_portal(Path(directory), PORTAL_PAYMENTS='demo', PORTAL_STRIPE_WEBHOOK_SECRET=SECRET)
        try:
            wait_for_demo_data(server)
            database = Path(directory) / 'portal.db'
            time.sleep(2)
            unique = events(accounts(database, 200), args.events)
            repeats = random.Random(1).sample(unique, len(unique) // 10)
            bodies = unique + repeats
            random.Random(2).shuffle(bodies)
            url = server.url('/webhooks/stripe')
            asyncio.run(deliver(url, bodies[:20], 4))  # warm up (these count once like the rest)
            began = time.perf_counter()
            latencies, statuses = asyncio.run(deliver(url, bodies[20:], args.concurrency))
            elapsed = time.perf_counter() - began
            with sqlite3.connect(database) as connection:
                posted = connection.execute("SELECT COUNT(*) FROM ledger_entry WHERE external_ref LIKE 'pi_bench_%'") \
                    .fetchone()[0]
        finally:
            server.stop()
    delivered = len(bodies) - 20
    print(f'webhook deliveries: {delivered} ({len(repeats)} repeats) at concurrency {args.concurrency}')
    print(f'  {delivered / elapsed:.0f} events/s over {elapsed:.1f} s; statuses {statuses}')
    print(f'  latency p50 {percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f} ms, '
          f'max {max(latencies) * 1000:.0f} ms')
    print(f'  ledger: {posted} payment entries for {len(unique)} distinct intents '
          f'({"right" if posted == len(unique) else "WRONG"})')
    return 0 if posted == len(unique) and set(statuses) == {200} else 1


if __name__ == '__main__':
    raise SystemExit(main())
