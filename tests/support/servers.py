"""Servers started by tests and benchmarks: a free port, a process in its own process group, a wait for
HTTP, and a stop that kills the whole group (SIGTERM, then SIGKILL).

`start_portal()` runs the real `main.py` on a fresh SQLite database in a temporary working directory
(NiceGUI writes its `.nicegui/` storage into the working directory), with demo data and no scheduler.
"""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / 'main.py'


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ServerError(RuntimeError):
    """A server did not come up; the message carries the tail of its log."""


@dataclass
class ServerHandle:
    process: subprocess.Popen
    base_url: str
    log_path: Path
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(':', 1)[1])

    def url(self, path: str = '/') -> str:
        return self.base_url + path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return '\n'.join(self.log_path.read_text(errors='replace').splitlines()[-lines:])
        except OSError:
            return '(no log)'

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, path: str = '/healthz', timeout: float = 60.0, poll: float = 0.05) -> float:
        """Poll until GET path answers 200; returns the seconds since start. Raises ServerError."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerError(f'server exited with {self.process.returncode} before answering {path}:\n'
                                  + self.log_tail())
            if http_status(self.url(path), timeout=2) == 200:
                return time.monotonic() - self.started_at
            time.sleep(poll)
        raise ServerError(f'no 200 from {self.url(path)} within {timeout:.0f} s:\n' + self.log_tail())

    def stop(self, grace: float = 10.0) -> None:
        """Kill the server's whole process group: SIGTERM, then SIGKILL after `grace` seconds."""
        stop_process_group(self.process, grace)


def http_status(url: str, timeout: float = 2.0) -> int | None:
    """The status of a GET, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def stop_process_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    if process.poll() is not None:
        _reap_group(process.pid)
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _reap_group(process.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _reap_group(pgid: int) -> None:
    """SIGKILL whatever is left in the group (children the leader left behind)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def start_process(argv: Sequence[str], *, cwd: Path, log_path: Path, env: Mapping[str, str],
                  base_url: str) -> ServerHandle:
    """Start argv in its own process group (start_new_session) with stdout and stderr to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, 'ab') as log:
        process = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    return ServerHandle(process=process, base_url=base_url, log_path=log_path, cwd=cwd, env=dict(env))


def clean_env() -> dict[str, str]:
    """This process's environment without settings that would leak into a server: PORTAL_* and NICEGUI_*,
    and PYTEST_* (NiceGUI's ui.run() switches to its screen-test mode when PYTEST_CURRENT_TEST is set)."""
    return {key: value for key, value in os.environ.items()
            if not key.startswith(('PORTAL_', 'NICEGUI_', 'PYTEST_'))}


def portal_env(directory: Path, port: int, **overrides: str) -> dict[str, str]:
    """The environment for a portal on a SQLite database in `directory`: demo data, no scheduler."""
    env = clean_env()
    env.update({
        'PORTAL_HOST': '127.0.0.1',
        'PORTAL_PORT': str(port),
        'PORTAL_DATABASE_URL': f'sqlite:///{directory / "portal.db"}',
        'PORTAL_SCHEDULER': 'off',
        'PORTAL_ENV': 'development',
        'PORTAL_DEMO_SEED': 'true',
        'PORTAL_RELOAD': 'false',
        'PORTAL_STORAGE_SECRET': secrets.token_urlsafe(32),
        'PYTHONUNBUFFERED': '1',
    })
    env.update({key: str(value) for key, value in overrides.items()})
    return env


def start_portal(directory: Path, *, wait: bool = True, timeout: float = 60.0, port: int | None = None,
                 **env_overrides: str) -> ServerHandle:
    """Run main.py with `directory` as its working directory (database, .nicegui storage, log).

    Keyword arguments override environment variables (e.g. PORTAL_PAYMENTS='demo').
    """
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = portal_env(directory, port, **env_overrides)
    handle = start_process([sys.executable, str(MAIN)], cwd=directory, log_path=directory / 'portal.log',
                           env=env, base_url=f'http://127.0.0.1:{port}')
    if wait:
        try:
            handle.wait_ready(timeout=timeout)
        except BaseException:
            handle.stop()
            raise
    return handle


def demo_user_id(database: Path, email: str = 'patient@example.com') -> int | None:
    """The id of a seeded user in a portal's SQLite database, or None (no file, no table or no row yet)."""
    if not database.exists():
        return None
    try:
        connection = sqlite3.connect(f'file:{database}?mode=ro', uri=True, timeout=1)
        try:
            row = connection.execute('SELECT id FROM user WHERE email = ?', (email,)).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return int(row[0]) if row else None


def wait_for_demo_data(handle: ServerHandle, timeout: float = 60.0, poll: float = 0.05) -> float:
    """Wait until the portal's database holds the demo patient; returns the seconds since start.

    /healthz can answer 200 while start-up is still migrating and seeding (start-up runs as a background
    task), so tests that sign in with the demo users wait for the data itself.
    """
    database = Path(handle.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///'))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if demo_user_id(database) is not None:
            return time.monotonic() - handle.started_at
        if not handle.alive():
            raise ServerError(f'server exited with {handle.process.returncode} before seeding:\n' + handle.log_tail())
        time.sleep(poll)
    raise ServerError(f'no demo patient in {database} within {timeout:.0f} s:\n' + handle.log_tail())


def start_bare_app(directory: Path, *, wait: bool = True, timeout: float = 60.0,
                   port: int | None = None) -> ServerHandle:
    """The bare NiceGUI page of tests/benchmarks/bare_app.py, the baseline for the benchmarks."""
    directory = Path(directory).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = clean_env()
    env['PYTHONUNBUFFERED'] = '1'
    handle = start_process([sys.executable, str(ROOT / 'tests' / 'benchmarks' / 'bare_app.py'), str(port)],
                           cwd=directory, log_path=directory / 'bare.log', env=env,
                           base_url=f'http://127.0.0.1:{port}')
    if wait:
        try:
            handle.wait_ready('/', timeout=timeout)
        except BaseException:
            handle.stop()
            raise
    return handle
