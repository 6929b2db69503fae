"""The pay page under load: N signed-in clients load /pay at once and open its websocket the way a
browser does; then GET latency with them all connected, and N guests loading the quick-pay form.

    .venv/bin/python tests/benchmarks/bench_pay_load.py [--clients 50] [--samples 30]

Reuses the signed-in browser ids of bench_home_load (storage files written before the first request).
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_home_load import (  # noqa: E402
    group_rss_kib,
    load_page,
    open_socket,
    percentile,
    session_cookie_name,
    signed_in_cookies,
)
from tests.support.servers import start_portal, wait_for_demo_data  # noqa: E402


async def burst(base_url: str, path: str, cookies: list[str | None], marker: str) -> tuple[list[float], int, list]:
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    sockets, seconds, ok = [], [], 0
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as http:
        async def one(cookie: str | None) -> None:
            nonlocal ok
            took, status, body = await load_page(http, base_url, path, cookie)
            seconds.append(took)
            if status == 200 and marker in body:
                ok += 1
                sockets.append(await open_socket(base_url, body, cookie))
        await asyncio.gather(*(one(cookie) for cookie in cookies))
    return seconds, ok, sockets


async def steady(base_url: str, path: str, cookie: str | None, samples: int) -> list[float]:
    async with aiohttp.ClientSession() as http:
        return [(await load_page(http, base_url, path, cookie))[0] for _ in range(samples)]


async def bench(server, clients: int, samples: int) -> None:  # noqa: ANN001
    async with aiohttp.ClientSession() as http:
        name = await session_cookie_name(http, server.base_url)
    cookies = signed_in_cookies(server, name, clients)
    for cookie in cookies[:3]:  # warm up
        async with aiohttp.ClientSession() as http:
            await load_page(http, server.base_url, '/pay', cookie)
    rss = group_rss_kib(server.pid)
    for label, path, chosen, marker in (('signed in /pay', '/pay', cookies, 'Pay your bill'),
                                        ('guest /pay', '/pay?code=ABCDEFGHJKLM', [None] * clients, 'Pay a bill')):
        began = time.perf_counter()
        seconds, ok, sockets = await burst(server.base_url, path, chosen, marker)
        wall = time.perf_counter() - began
        held = await steady(server.base_url, path, chosen[0], samples)
        print(f'{label}: {clients} at once in {wall:.1f} s, {ok} rendered and connected; '
              f'GET p50 {percentile(seconds, 50) * 1000:.0f} ms, p95 {percentile(seconds, 95) * 1000:.0f} ms, '
              f'max {max(seconds) * 1000:.0f} ms; with them connected p50 {percentile(held, 50) * 1000:.0f} ms, '
              f'p95 {percentile(held, 95) * 1000:.0f} ms')
        for sio in sockets:
            await sio.disconnect()
    print(f'server memory grew {(group_rss_kib(server.pid) - rss) / 1024:.0f} MiB')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clients', type=int, default=50)
    parser.add_argument('--samples', type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='bench-pay-') as directory:
        server = start_portal(Path(directory), PORTAL_PAYMENTS='demo')
        try:
            wait_for_demo_data(server)
            time.sleep(2)
            asyncio.run(bench(server, args.clients, args.samples))
        finally:
            server.stop()
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
