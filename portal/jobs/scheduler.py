"""The scheduler: APScheduler's BackgroundScheduler with the SQLAlchemy job store, leader only.

Jobs are registered with fixed ids and replace_existing=True, with explicit misfire grace and
coalescing, so a restart neither drops nor doubles work (each job is also an idempotent sweep).
A process that cannot take the leader lock stays on standby and retries.
"""
from __future__ import annotations

import logging
import threading

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from portal.db import get_engine
from portal.jobs.leader import LeaderLock

log = logging.getLogger(__name__)
STANDBY_RETRY_SECONDS = 30

# id -> (callable reference, trigger, trigger arguments)
JOBS: dict[str, tuple[str, str, dict[str, object]]] = {
    'housekeeping': ('portal.jobs.housekeeping:run', 'cron', {'hour': 3, 'minute': 15}),
    'deliver_notifications': ('portal.jobs.notifications:run', 'interval', {'minutes': 1}),
    'reconcile_payments': ('portal.jobs.payments:run', 'interval', {'minutes': 10}),
    'autopay_installments': ('portal.jobs.autopay:run', 'cron', {'hour': 9, 'minute': 0}),
}


class SchedulerService:
    def __init__(self, *, enabled: bool, timezone: str = 'UTC') -> None:
        self.enabled = enabled
        self.timezone = timezone
        self._lock: LeaderLock | None = None
        self._scheduler: BackgroundScheduler | None = None
        self._retry: threading.Timer | None = None
        self._stopped = False

    @property
    def state(self) -> str:
        if not self.enabled:
            return 'off'
        return 'running' if self._scheduler is not None and self._scheduler.running else 'standby'

    def start(self) -> None:
        if not self.enabled:
            return
        self._stopped = False
        self._lock = LeaderLock(get_engine())
        self._try_lead()

    def _try_lead(self) -> None:
        if self._stopped or self._lock is None:
            return
        if not self._lock.try_acquire():
            log.info('scheduler on standby: another process holds the leader lock')
            self._retry = threading.Timer(STANDBY_RETRY_SECONDS, self._try_lead)
            self._retry.daemon = True
            self._retry.start()
            return
        scheduler = BackgroundScheduler(
            jobstores={'default': SQLAlchemyJobStore(engine=get_engine())},
            job_defaults={'coalesce': True, 'misfire_grace_time': 6 * 3600, 'max_instances': 1},
            timezone=self.timezone)
        for job_id, (reference, trigger, arguments) in JOBS.items():
            scheduler.add_job(reference, trigger, id=job_id, replace_existing=True, **arguments)
        scheduler.start()
        self._scheduler = scheduler
        log.info('scheduler running (leader)')

    def next_runs(self) -> dict[str, object]:
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs()}

    def stop(self) -> None:
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._lock is not None:
            self._lock.release()
