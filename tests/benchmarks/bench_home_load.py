"""Home page under load: N clients at once load the signed-in patient home and open its websocket
the way a browser does, against the portal and against a bare NiceGUI page.

    .venv/bin/python tests/benchmarks/bench_home_load.py [--clients 100] [--time-limit 600]

Reports, per server: page GET latency (p50/p95/max) while all N clients load at once, GET latency
with the N clients connected (sequential samples), and resident memory per connected client
(VmRSS of the server's process group before and after, from /proc). Loopback only.

Signing in: NiceGUI keeps `app.storage.user` on the server in `.nicegui/storage-user-<id>.json`, keyed
by the `id` in Starlette's signed session cookie. Signing in through the form takes a websocket
round trip per keystroke, so each client gets a fresh browser id whose storage file is written before
its first request (the server reads it then) and a session cookie signed with PORTAL_STORAGE_SECRET.
"""
from __future__ import annotations

import argparse
import ast
import asyncio
import base64
import json
import re
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import itsdangerous
import socketio

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.servers import ServerHandle, start_bare_app, start_portal, wait_for_demo_data  # noqa: E402

QUERY = re.compile(r'query:\s*(\{[^\n]*?\}),\s*\n')
PATIENT_EMAIL = 'patient@example.com'


# --- memory -----------------------------------------------------------------------------------

def group_rss_kib(pgid: int) -> int:
    """Sum of VmRSS over every process in the process group (the server and any children)."""
    total = 0
    for entry in Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / 'stat').read_text()
            fields = stat[stat.rindex(')') + 2:].split()
            if int(fields[2]) != pgid:  # field 5 of /proc/<pid>/stat: the process group
                continue
            for line in (entry / 'status').read_text().splitlines():
                if line.startswith('VmRSS:'):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total


# --- signed-in browser ids ----------------------------------------------------------------------

def session_cookie(secret: str, browser_id: str) -> str:
    """Starlette's SessionMiddleware cookie: TimestampSigner(secret) over base64(json(session))."""
    payload = base64.b64encode(json.dumps({'id': browser_id}).encode('utf-8'))
    return itsdangerous.TimestampSigner(str(secret)).sign(payload).decode('utf-8')


def patient_auth(database: Path) -> dict:
    with sqlite3.connect(f'file:{database}?mode=ro', uri=True) as connection:
        row = connection.execute('SELECT id, role, first_name FROM user WHERE email = ?', (PATIENT_EMAIL,)).fetchone()
    if row is None:
        raise SystemExit(f'{PATIENT_EMAIL} is not in {database}: did main.py seed the demo set?')
    now = time.time()
    return {'user_id': row[0], 'role': row[1], 'first_name': row[2], 'signed_in_at': now,
            'last_active_at': now, 'mfa_ok': True, 'mfa_enrolled': False, 'nonce': uuid.uuid4().hex}


def signed_in_cookies(server: ServerHandle, cookie_name: str, count: int) -> list[str]:
    """`count` fresh browser ids, each signed in as the demo patient; returns their Cookie headers."""
    storage = server.cwd / '.nicegui'
    storage.mkdir(exist_ok=True)
    auth = patient_auth(server.cwd / 'portal.db')
    secret = server.env['PORTAL_STORAGE_SECRET']
    cookies = []
    for _ in range(count):
        browser_id = str(uuid.uuid4())
        (storage / f'storage-user-{browser_id}.json').write_text(json.dumps({'auth': auth}), encoding='utf-8')
        cookies.append(f'{cookie_name}={session_cookie(secret, browser_id)}')
    return cookies


async def session_cookie_name(http: aiohttp.ClientSession, base_url: str) -> str:
    async with http.get(base_url + '/', allow_redirects=False) as response:
        await response.read()
        for morsel in response.cookies.values():
            return morsel.key
    return 'session'


# --- one client -------------------------------------------------------------------------------

@dataclass
class Client:
    cookie: str | None
    get_seconds: float = 0.0
    status: int = 0
    signed_in: bool = False
    connected: bool = False
    error: str = ''
    sio: socketio.AsyncClient | None = field(default=None, repr=False)


async def load_page(http: aiohttp.ClientSession, base_url: str, path: str,
                    cookie: str | None) -> tuple[float, int, str]:
    headers = {'Cookie': cookie} if cookie else {}
    began = time.perf_counter()
    async with http.get(base_url + path, headers=headers, allow_redirects=False) as response:
        body = await response.text()
        return time.perf_counter() - began, response.status, body


async def open_socket(base_url: str, body: str, cookie: str | None) -> socketio.AsyncClient:
    match = QUERY.search(body)
    if not match:
        raise RuntimeError('no socket.io query in the page')
    query = ast.literal_eval(match.group(1))  # NiceGUI renders a Python dict literal here
    params = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in query.items()}
    params.update(document_id=str(uuid.uuid4()), tab_id=str(uuid.uuid4()))
    url = base_url + '/?' + '&'.join(f'{key}={value}' for key, value in params.items())
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, headers={'Cookie': cookie} if cookie else {}, transports=['websocket'],
                      socketio_path='/_nicegui_ws/socket.io', wait_timeout=30)
    return sio


async def run_client(http: aiohttp.ClientSession, base_url: str, client: Client, signed_in_marker: str) -> None:
    try:
        client.get_seconds, client.status, body = await load_page(http, base_url, '/', client.cookie)
        client.signed_in = signed_in_marker in body
        if client.status == 200:
            client.sio = await open_socket(base_url, body, client.cookie)
            client.connected = True
    except Exception as error:  # noqa: BLE001  (reported in the table, not raised)
        client.error = f'{type(error).__name__}: {error}'


# --- one server -------------------------------------------------------------------------------

@dataclass
class Result:
    name: str
    clients: int
    burst: list[float]
    steady: list[float]
    ok: int
    connected: int
    signed_in: int
    rss_before_kib: int
    rss_after_kib: int
    errors: list[str]
    statuses: Counter
    server_errors: list[str]

    @property
    def kib_per_client(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / max(self.connected, 1)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float('nan')
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def load_server(name: str, server: ServerHandle, count: int, cookies: list[str | None],
                      signed_in_marker: str, steady_samples: int) -> Result:
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        # warm up: first page render, imports, caches
        for cookie in cookies[:1] * 3:
            await load_page(http, server.base_url, '/', cookie)
        await asyncio.sleep(1.0)
        rss_before = group_rss_kib(server.pid)

        clients = [Client(cookie=cookies[index % len(cookies)]) for index in range(count)]
        await asyncio.gather(*(run_client(http, server.base_url, client, signed_in_marker) for client in clients))
        await asyncio.sleep(2.0)  # let connections settle
        rss_after = group_rss_kib(server.pid)

        steady = []
        for index in range(steady_samples):
            seconds, _, _ = await load_page(http, server.base_url, '/', cookies[index % len(cookies)])
            steady.append(seconds)

        for client in clients:
            if client.sio is not None:
                try:
                    await asyncio.wait_for(client.sio.disconnect(), timeout=5)
                except Exception:  # noqa: BLE001
                    pass
    errors = sorted({client.error for client in clients if client.error})
    log_lines = server.log_path.read_text(errors='replace').splitlines() if server.log_path.exists() else []
    server_errors = [line for line in log_lines if ' ERROR ' in line or line.startswith('ERROR')]
    return Result(name=name, clients=count, burst=[c.get_seconds for c in clients if c.status == 200],
                  steady=steady, ok=sum(c.status == 200 for c in clients),
                  connected=sum(c.connected for c in clients), signed_in=sum(c.signed_in for c in clients),
                  rss_before_kib=rss_before, rss_after_kib=rss_after, errors=errors,
                  statuses=Counter(client.status for client in clients), server_errors=server_errors)


async def bench(count: int, steady_samples: int) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix='settle-bench-load-') as scratch:
        portal = start_portal(Path(scratch) / 'portal', timeout=120, PORTAL_PAYMENTS='demo')
        try:
            wait_for_demo_data(portal)
            async with aiohttp.ClientSession() as http:
                cookie_name = await session_cookie_name(http, portal.base_url)
            cookies: list[str | None] = list(signed_in_cookies(portal, cookie_name, count + 3))
            print(f'  portal on {portal.base_url} (pid {portal.pid}); {count} signed-in clients', file=sys.stderr)
            results.append(await load_server('portal: signed-in patient home', portal, count, cookies,
                                             'amount-due', steady_samples))
        finally:
            portal.stop()
        bare = start_bare_app(Path(scratch) / 'bare')
        try:
            print(f'  bare NiceGUI page on {bare.base_url} (pid {bare.pid})', file=sys.stderr)
            results.append(await load_server('bare NiceGUI page', bare, count, [None], 'Hello from a bare',
                                             steady_samples))
        finally:
            bare.stop()
    return results


def print_table(results: list[Result]) -> None:
    def ms(value: float) -> str:
        return f'{value * 1000:.0f}'

    print(f'\nHome load: {results[0].clients} clients at once (GET the page, then open its socket.io websocket)')
    header = (f'{"server":<32} {"ok":>5} {"ws":>5} {"auth":>5} {"burst p50":>10} {"p95":>7} {"max":>7} '
              f'{"conn. p50":>10} {"p95":>7} {"RSS MiB":>13} {"KiB/client":>11}')
    print(header)
    print('-' * len(header))
    for r in results:
        rss = f'{r.rss_before_kib / 1024:.0f}->{r.rss_after_kib / 1024:.0f}'
        auth = str(r.signed_in) if r.name.startswith('portal') else '-'
        print(f'{r.name:<32} {r.ok:>5} {r.connected:>5} {auth:>5} {ms(percentile(r.burst, 50)):>10} '
              f'{ms(percentile(r.burst, 95)):>7} {ms(max(r.burst, default=float("nan"))):>7} '
              f'{ms(percentile(r.steady, 50)):>10} {ms(percentile(r.steady, 95)):>7} {rss:>13} '
              f'{r.kib_per_client:>11.0f}')
    print('times in ms. burst: the page GETs of all clients at once; conn.: sequential GETs with all clients '
          'connected.\nws: websockets connected; auth: pages served signed in (patient home).')
    for r in results:
        if set(r.statuses) != {200}:
            print(f'  {r.name}: HTTP statuses {dict(r.statuses)} (0: no response)')
        for error in r.errors[:5]:
            print(f'  {r.name}: client error: {error}')
        if r.server_errors:
            print(f'  {r.name}: {len(r.server_errors)} ERROR lines in the server log, e.g.:')
            for line in r.server_errors[:3]:
                print(f'    {line[:300]}')
        if r.name.startswith('portal') and r.signed_in < r.ok:
            print(f'  warning: only {r.signed_in} of {r.ok} portal pages were the signed-in home '
                  '(no data-testid "amount-due" in the page)')


def raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(max(soft, wanted), hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))  # servers started later inherit it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clients', type=int, default=100, help='concurrent clients (default 100)')
    parser.add_argument('--steady', type=int, default=30, help='sequential GETs with all clients connected (30)')
    parser.add_argument('--time-limit', type=float, default=600, help='seconds for the whole run (default 600)')
    args = parser.parse_args()
    raise_open_file_limit(4 * args.clients + 256)
    try:
        results = asyncio.run(asyncio.wait_for(bench(args.clients, args.steady), timeout=args.time_limit))
    except TimeoutError:
        print(f'bench_home_load: stopped after the time limit of {args.time_limit:.0f} s', file=sys.stderr)
        return 1
    print_table(results)
    complete = all(r.ok == r.clients and r.connected == r.clients for r in results)
    return 0 if complete else 1


if __name__ == '__main__':
    sys.exit(main())
