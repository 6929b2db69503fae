"""Cold start: seconds from process start to the first 200 on /healthz.

    .venv/bin/python tests/benchmarks/bench_cold_start.py [--runs 3]

(a) an empty SQLite database (main.py migrates and seeds the demo set), (b) the same database
already migrated and seeded, and for reference (c) a bare NiceGUI page (first 200 on /).
Prints the median, min and max of each, and for the portal also the median time until the demo
patient is in the database (start-up migrates and seeds in a background task, so /healthz may
answer before that).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.servers import ServerHandle, start_bare_app, start_portal, wait_for_demo_data  # noqa: E402

POLL = 0.01


def time_to_ready(start, path: str, timeout: float, *, demo_data: bool = False) -> tuple[float, float | None]:  # noqa: ANN001
    """Seconds to the first 200 on `path`, and (demo_data) to the demo patient being in the database."""
    began = time.monotonic()
    handle: ServerHandle = start()
    try:
        handle.wait_ready(path, timeout=timeout, poll=POLL)
        ready = time.monotonic() - began
        seeded = None
        if demo_data:
            wait_for_demo_data(handle, timeout=timeout, poll=POLL)
            seeded = time.monotonic() - began
        return ready, seeded
    finally:
        handle.stop()


def measure(runs: int, timeout: float) -> dict[str, list[tuple[float, float | None]]]:
    results: dict[str, list[tuple[float, float | None]]] = {'empty': [], 'seeded': [], 'bare': []}
    with tempfile.TemporaryDirectory(prefix='settle-bench-cold-') as scratch:
        scratch_path = Path(scratch)
        seeded_dir = scratch_path / 'seeded'
        for run in range(runs):
            empty_dir = scratch_path / f'empty-{run}'
            result = time_to_ready(lambda d=empty_dir: start_portal(d, wait=False), '/healthz', timeout,
                                   demo_data=True)
            results['empty'].append(result)
            print(f'  (a) empty database, run {run + 1}: {result[0]:.2f} s (data {result[1]:.2f} s)', file=sys.stderr)
        # one start to migrate and seed, not counted; then the measured starts on that database
        time_to_ready(lambda: start_portal(seeded_dir, wait=False), '/healthz', timeout, demo_data=True)
        for run in range(runs):
            result = time_to_ready(lambda: start_portal(seeded_dir, wait=False), '/healthz', timeout,
                                   demo_data=True)
            results['seeded'].append(result)
            print(f'  (b) seeded database, run {run + 1}: {result[0]:.2f} s', file=sys.stderr)
        for run in range(runs):
            result = time_to_ready(lambda r=run: start_bare_app(scratch_path / f'bare-{r}', wait=False), '/',
                                   timeout)
            results['bare'].append(result)
            print(f'  (c) bare NiceGUI page, run {run + 1}: {result[0]:.2f} s', file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--runs', type=int, default=3, help='starts per case (default 3)')
    parser.add_argument('--timeout', type=float, default=90.0, help='seconds to wait for one start (default 90)')
    args = parser.parse_args()

    results = measure(args.runs, args.timeout)
    labels = {'empty': '(a) portal, empty SQLite (migrate + demo seed)',
              'seeded': '(b) portal, migrated + seeded SQLite',
              'bare': '(c) bare NiceGUI page (reference)'}
    print(f'\nCold start: process start to first 200, {args.runs} runs each')
    print(f'{"case":<50} {"median s":>9} {"min s":>7} {"max s":>7} {"data ready s":>13}')
    for key, label in labels.items():
        first_200 = [ready for ready, _ in results[key]]
        seeded = [data for _, data in results[key] if data is not None]
        data = f'{statistics.median(seeded):.2f}' if seeded else '-'
        print(f'{label:<50} {statistics.median(first_200):>9.2f} {min(first_200):>7.2f} {max(first_200):>7.2f} '
              f'{data:>13}')
    print('data ready: median seconds until the demo patient is in the database.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
