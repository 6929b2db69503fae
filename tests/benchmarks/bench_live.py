"""The live fan-out with 500 watching clients: CPU at idle (target < 5% of one core) and publish -> callback latency.

    .venv/bin/python tests/benchmarks/bench_live.py [--clients 500] [--idle 30] [--publishes 60] [--backend both]

One process, as a portal process runs it: the real hub (`components.live`) and the process's one listener
(`portal.live`: LISTEN/NOTIFY on PostgreSQL, the one-a-second poll on SQLite) on a fresh migrated database.
The clients are stand-ins with NiceGUI's client interface (`safe_invoke`, `on_delete`), watching as the
messaging pages will: a patient on a thread page watches `thread:<id>` and `inbox:<account>`; every tenth
client is staff on the queue (`staff-queue`). Measures:

- idle: process CPU (user + system, all threads) over `--idle` seconds with nothing published, as % of one core;
- latency: from a publish's commit (in a worker thread, as a service runs) to the callback of every watcher
  of its topic, p50/p95; one publish every 0.3-1.3 s, each to another thread (half also to `staff-queue`).
"""
from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from components.live import Hub  # noqa: E402
from portal import live  # noqa: E402
from portal.db import dispose_engine, init_engine, migrate, write_session  # noqa: E402

THREADS = 200  # distinct threads the clients look at
ACCOUNTS = 100


class StandInClient:
    """NiceGUI's client as the hub uses it; the callback runs on the event loop as safe_invoke runs it."""

    is_deleted = False

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def on_delete(self, handler: Callable[[], Any]) -> None:
        pass

    def safe_invoke(self, func: Callable[[], Any]) -> None:
        result = func()
        if inspect.isawaitable(result):
            task = asyncio.get_running_loop().create_task(result)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float('nan')


def publish(*topics: str) -> float:
    """Publish in one write transaction, as a service does; returns the moment the commit returned."""
    with write_session() as session:
        for topic in topics:
            live.publish(session, topic)
    return time.monotonic()


async def measure(url: str, *, clients: int, idle: float, publishes: int) -> dict[str, float]:
    hub = Hub()
    hub.start(url)
    assert hub.listener is not None
    assert await asyncio.to_thread(hub.listener.connected.wait, 10), 'the listener did not connect'
    arrivals: dict[str, list[float]] = {}

    def watcher(topic_key: str) -> Callable[[], None]:
        return lambda: arrivals.setdefault(topic_key, []).append(time.monotonic())

    for number in range(clients):
        if number % 10 == 0:
            hub.add(StandInClient(), ['staff-queue'], watcher('staff-queue'))
        else:
            thread = number % THREADS
            hub.add(StandInClient(), [f'thread:{thread}', f'inbox:{thread % ACCOUNTS}'], watcher(f'thread:{thread}'))
    await asyncio.sleep(2)  # settle

    before_cpu, before_wall = cpu_seconds(), time.monotonic()
    await asyncio.sleep(idle)
    idle_cpu = (cpu_seconds() - before_cpu) / (time.monotonic() - before_wall) * 100

    pause = random.Random(14)
    first: list[float] = []  # commit -> first watcher's callback of the topic
    every: list[float] = []  # commit -> each watcher's callback
    watched = [thread for thread in range(min(THREADS, clients)) if thread % 10]
    staff = sum(1 for n in range(clients) if n % 10 == 0)
    for number in range(publishes):
        thread = watched[(number * 7) % len(watched)]
        topics = [f'thread:{thread}'] + (['staff-queue'] if number % 2 else [])
        expected = {f'thread:{thread}': sum(1 for n in range(clients) if n % 10 and n % THREADS == thread)}
        if number % 2:
            expected['staff-queue'] = staff
        arrivals.clear()
        committed = await asyncio.to_thread(publish, *topics)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(len(arrivals.get(key, ())) < count
                                                  for key, count in expected.items()):
            await asyncio.sleep(0.002)
        got = {key: len(moments) for key, moments in arrivals.items()}
        assert got == expected, f'publish {number}: expected calls {expected}, got {got}'
        times = [moment - committed for moments in arrivals.values() for moment in moments]
        first.append(min(times))
        every.extend(times)
        await asyncio.sleep(pause.uniform(0.3, 1.3))  # uneven, so commits fall anywhere in the SQLite poll's second

    listener = hub.detach()
    if listener is not None:
        await asyncio.to_thread(listener.stop)
    return {'idle_cpu_percent': idle_cpu, 'first_p50_ms': percentile(first, 50) * 1000,
            'first_p95_ms': percentile(first, 95) * 1000, 'all_p50_ms': percentile(every, 50) * 1000,
            'all_p95_ms': percentile(every, 95) * 1000, 'callbacks': len(every)}


def run_on(url: str, args: argparse.Namespace) -> dict[str, float]:
    migrate(url)
    init_engine(url)
    try:
        return asyncio.run(measure(url, clients=args.clients, idle=args.idle, publishes=args.publishes))
    finally:
        dispose_engine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=500)
    parser.add_argument('--idle', type=float, default=30.0)
    parser.add_argument('--publishes', type=int, default=60)
    parser.add_argument('--backend', choices=['sqlite', 'postgres', 'both'], default='both')
    args = parser.parse_args()
    results = {}
    if args.backend in ('sqlite', 'both'):
        with tempfile.TemporaryDirectory() as directory:
            results['SQLite'] = run_on(f'sqlite:///{directory}/live.db', args)
    if args.backend in ('postgres', 'both'):
        from tests.support.databases import PostgresDatabase
        database = PostgresDatabase()
        try:
            results['PostgreSQL'] = run_on(database.url, args)
        finally:
            database.drop()
    for name, figures in results.items():
        print(f'{name}: {args.clients} clients, idle CPU {figures["idle_cpu_percent"]:.2f}% of one core over '
              f'{args.idle:.0f} s; commit -> first callback p50 {figures["first_p50_ms"]:.1f} ms, '
              f'p95 {figures["first_p95_ms"]:.1f} ms; every callback ({figures["callbacks"]:.0f}) '
              f'p50 {figures["all_p50_ms"]:.1f} ms, p95 {figures["all_p95_ms"]:.1f} ms')


if __name__ == '__main__':
    main()
