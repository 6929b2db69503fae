"""Two scheduler processes against one database (SQLite file lock, PostgreSQL advisory lock): one leads,
the other stands by, each job runs once, and the standby takes over when the leader is killed. The test
waits on events (the processes' states, the probe's recorded run, the stored next run), never on a time window."""
from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from portal.db import get_engine, read_session
from portal.job_catalogue import JOBS
from portal.models import JobRun
from tests.support.servers import ROOT, ServerHandle, clean_env, start_process


def _start(url: str, go: Path, log: Path) -> ServerHandle:
    env = {**clean_env(), 'PYTHONPATH': str(ROOT), 'PORTAL_ENV': 'test', 'PYTHONUNBUFFERED': '1'}
    return start_process([sys.executable, '-m', 'tests.support.scheduler_process', url, str(go)],
                         cwd=ROOT, log_path=log, env=env, base_url='http://127.0.0.1:1')


def _state(handle: ServerHandle) -> str:
    lines = [line for line in handle.log_path.read_text().splitlines() if line.startswith('state ')]
    return lines[-1].split()[1] if lines else ''


def _wait(condition, seconds: float = 30) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.1)


def _probe_runs() -> list[JobRun]:
    with read_session() as session:
        return list(session.exec(select(JobRun).where(JobRun.job == 'probe')).all())


def _stored_next_run() -> float:
    """The probe's next run time in the shared job store (epoch seconds)."""
    with get_engine().connect() as connection:
        return connection.execute(text("SELECT next_run_time FROM apscheduler_jobs WHERE id = 'probe'")).scalar_one()


def test_two_processes_one_leader_each_job_runs_once(db: str, tmp_path: Path) -> None:
    go = tmp_path / 'go'
    first = _start(db, go, tmp_path / 'first.log')
    second = _start(db, go, tmp_path / 'second.log')
    processes = [first, second]
    try:
        _wait(lambda: _state(first) and _state(second))
        _wait(lambda: sorted([_state(first), _state(second)]) == ['running', 'standby'])
        leader, standby = (first, second) if _state(first) == 'running' else (second, first)
        with get_engine().connect() as connection:
            stored = connection.execute(text('SELECT id FROM apscheduler_jobs ORDER BY id')).scalars().all()
        assert stored == sorted([*JOBS, 'probe'])  # each job stored once, under its fixed id

        go.touch()  # both processes are up and one leads: the probe is due now
        _wait(lambda: any(run.finished_at for run in _probe_runs()))
        go.unlink()
        [probe] = _probe_runs()
        assert (probe.outcome, probe.items) == ('ok', leader.pid)
        # the run moved the stored next run an hour on: no process can run the probe again in this test
        next_run = _stored_next_run()
        assert next_run > datetime.now(UTC).timestamp() + 30 * 60

        leader.process.kill()  # the lock goes with the process (file lock, or the session's advisory lock)
        leader.process.wait(10)
        _wait(lambda: _state(standby) == 'running', seconds=20)  # printed once its jobs are registered
        assert _stored_next_run() == next_run  # the new leader kept the stored next run, so no second run
        assert len(_probe_runs()) == 1
    finally:
        for handle in processes:
            handle.stop()
    assert 'Traceback' not in first.log_path.read_text() + second.log_path.read_text()
