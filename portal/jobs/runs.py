"""JobRun bookkeeping: a job claims (job, key) once; a rerun of the same key does nothing."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from portal.clock import today, utcnow
from portal.db import read_session, write_session
from portal.models import JobRun

log = logging.getLogger(__name__)


@dataclass
class RunHandle:
    id: int
    items: int = 0


@contextmanager
def claimed_run(job: str, key: str | None = None) -> Iterator[RunHandle | None]:
    """Claim a run of `job` for `key` (default: today's date); yield None when it already ran."""
    key = key or today().isoformat()
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
