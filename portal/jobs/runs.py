"""JobRun bookkeeping: what each job did, and when.

`execute(job_id)` is what the scheduler (and a staff "run now") calls: it runs the job's function and
records one JobRun per run (key 'run:<start time>'), with its outcome, timings, item count and error.
`claimed_run(job, key)` is for work that must happen once per key (a day, a month): a rerun of the
same key does nothing.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.util import ref_to_obj
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.job_catalogue import JOBS
from portal.models import JobRun
from portal.services import operations
from portal.services.practice import load_practice_today

log = logging.getLogger(__name__)


@dataclass
class RunHandle:
    id: int
    items: int = 0


@contextmanager
def claimed_run(job: str, key: str | None = None) -> Iterator[RunHandle | None]:
    """Claim a run of `job` for `key` (default: the practice's calendar day); yield None when it already ran."""
    key = key or load_practice_today().isoformat()
    try:
        with write_session() as session:
            run = JobRun(job=job, key=key)
            session.add(run)
            session.flush()
            handle = RunHandle(id=run.id)
    except IntegrityError:
        with write_session() as session:  # a failed run may be retried; a finished one never
            run = session.exec(select(JobRun).where(JobRun.job == job, JobRun.key == key)).one()
            if run.outcome != 'failed':
                yield None
                return
            run.outcome, run.started_at, run.error = 'running', utcnow(), ''
            handle = RunHandle(id=run.id)
    try:
        yield handle
    except Exception as error:
        log.exception('job %s (%s) failed', job, key)
        _finish(handle, 'failed', f'{type(error).__name__}')
        return
    _finish(handle, 'ok')


def _finish(handle: RunHandle, outcome: str, error: str = '') -> None:
    with write_session() as session:
        run = session.get(JobRun, handle.id)
        assert run is not None
        run.outcome, run.items, run.error, run.finished_at = outcome, handle.items, error[:300], utcnow()


def latest_runs(limit: int = 20) -> list[JobRun]:
    with read_session() as session:
        return list(session.exec(select(JobRun).order_by(col(JobRun.started_at).desc()).limit(limit)).all())


RUN_PREFIX = 'run:'
KEEP_RUNS = timedelta(days=14)
_running: set[str] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class RunResult:
    job: str
    outcome: str  # ok, failed, busy (already running in this process)
    items: int = 0
    error: str = ''


def execute(job_id: str) -> RunResult:
    """Run a registered job once now and record the run; never raises (the outcome says it)."""
    reference = JOBS[job_id][0]
    with _running_lock:
        if job_id in _running:
            return RunResult(job_id, 'busy')
        _running.add(job_id)
    try:
        with write_session() as session:
            run = JobRun(job=job_id, key=f'{RUN_PREFIX}{utcnow().isoformat(timespec="microseconds")}')
            session.add(run)
            session.flush()
            handle = RunHandle(id=run.id)
        try:
            result = ref_to_obj(reference)()
        except Exception as error:
            log.exception('job %s failed', job_id)
            message = f'{type(error).__name__}: {error}'
            _finish(handle, 'failed', message)
            return RunResult(job_id, 'failed', 0, message[:300])
        handle.items = result if isinstance(result, int) and not isinstance(result, bool) else 0
        _finish(handle, 'ok')
        return RunResult(job_id, 'ok', handle.items)
    finally:
        with _running_lock:
            _running.discard(job_id)


def prune_runs(now: datetime | None = None) -> int:
    """Forget per-run records older than two weeks (claimed once-per-key runs are kept)."""
    cutoff = (now or utcnow()) - KEEP_RUNS
    with write_session() as session:
        result = session.execute(delete(JobRun).where(col(JobRun.key).startswith(RUN_PREFIX),
                                                      col(JobRun.started_at) < cutoff))
        return int(result.rowcount or 0)


def run_now(*, actor: Actor, job_id: str) -> RunResult:
    """An admin runs a job at once (the same idempotent sweep the scheduler runs): anyone else
    is refused as NotFound (audited once), as is an unknown id; audited before it runs."""
    operations.authorize_run_now(actor=actor, job_id=job_id)
    return execute(job_id)
