"""The scheduler: APScheduler's BackgroundScheduler with the SQLAlchemy job store, leader only.

Jobs are registered with fixed ids and replace_existing=True, with explicit misfire grace and
coalescing, so a restart neither drops nor doubles work (each job is also an idempotent sweep).
A JOBS entry may set misfire_grace_time and coalesce in its arguments; otherwise they are set here
(a daily job may start up to 6 hours late; an interval job skips a run it missed by more than its
interval). The scheduler calls portal.jobs.runs.execute(job id), which runs the job's function and
records the run (JobRun) for the staff jobs page. A process that cannot take the leader lock stays
on standby and retries.

Daily jobs run on the practice's wall clock: their cron triggers carry the practice's stored zone
(`services.practice`), and the leader checks that zone every ZONE_CHECK_SECONDS, re-registering the
jobs in the new zone when an admin changed it (no restart). Stored run times stay UTC.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from portal.db import get_engine
from portal.job_catalogue import JOBS
from portal.jobs.leader import LeaderLock
from portal.services.practice import load_practice

log = logging.getLogger(__name__)
STANDBY_RETRY_SECONDS = 30

DAILY_GRACE_SECONDS = 6 * 3600
RUNNER = 'portal.jobs.runs:execute'
ZONE_CHECK_SECONDS = 60
FOLLOW_ZONE = 'follow_practice_zone'  # kept in memory, not in the shared job store: each leader its own


def job_options(trigger: str, arguments: dict[str, object]) -> dict[str, object]:
    """Trigger arguments plus explicit misfire_grace_time, coalesce and max_instances."""
    options = dict(arguments)
    if 'misfire_grace_time' not in options:
        if trigger == 'interval':
            seconds = (int(options.get('weeks', 0)) * 604800 + int(options.get('days', 0)) * 86400
                       + int(options.get('hours', 0)) * 3600 + int(options.get('minutes', 0)) * 60
                       + int(options.get('seconds', 0)))
            options['misfire_grace_time'] = max(seconds, 30)
        else:
            options['misfire_grace_time'] = DAILY_GRACE_SECONDS
    options.setdefault('coalesce', True)
    options.setdefault('max_instances', 1)
    return options


def _same_schedule(old: BaseTrigger, new: BaseTrigger) -> bool:
    """The same fields, and for a cron trigger the same zone (str() of a cron trigger leaves it out)."""
    if str(old) != str(new):
        return False
    return not isinstance(new, CronTrigger) or str(getattr(old, 'timezone', '')) == str(new.timezone)


def register_jobs(scheduler: BackgroundScheduler, *, zone: str | None = None) -> None:
    """Add every job under its fixed id (replace_existing), cron jobs on `zone`'s wall clock (the
    scheduler's zone when None). A stored job whose schedule and zone are unchanged keeps its stored next
    run time, so a run missed while no process led is caught up now (within the misfire grace, once:
    coalesce) instead of being skipped, and one already done is not repeated; a new zone reschedules."""
    stored = {job.id: job for job in scheduler.get_jobs(jobstore='default')}
    for job_id, (_reference, trigger, arguments) in JOBS.items():
        options = job_options(trigger, arguments)
        job_settings = {key: options.pop(key) for key in JOB_SETTINGS}
        if trigger == 'cron' and zone is not None:
            options.setdefault('timezone', zone)
        new_trigger = scheduler._create_trigger(trigger, dict(options))  # noqa: SLF001 - same parsing as add_job
        existing = stored.get(job_id)
        if existing is not None and _same_schedule(existing.trigger, new_trigger):
            scheduler.modify_job(job_id, func=RUNNER, args=(job_id,), name=job_id, **job_settings)
        else:
            scheduler.add_job(RUNNER, new_trigger, args=(job_id,), id=job_id, name=job_id, replace_existing=True,
                              **job_settings)
    for job_id, job in stored.items():
        if job_id not in JOBS:  # a job this version no longer has
            job.remove()


JOB_SETTINGS = ('misfire_grace_time', 'coalesce', 'max_instances')


def stored_zone() -> str:
    """The practice's zone as stored now (read afresh, not cached)."""
    return load_practice().timezone


class SchedulerService:
    def __init__(self, *, enabled: bool, zone_of: Callable[[], str] = stored_zone) -> None:
        """`zone_of` gives the practice's IANA zone; it is read when the scheduler starts leading and
        every ZONE_CHECK_SECONDS after."""
        self.enabled = enabled
        self.zone_of = zone_of
        self.timezone = ''  # the zone the jobs are registered in, once leading
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
        self.timezone = self.zone_of()
        scheduler = BackgroundScheduler(
            jobstores={'default': SQLAlchemyJobStore(engine=get_engine()), 'local': MemoryJobStore()},
            timezone=self.timezone)
        scheduler.start(paused=True)
        register_jobs(scheduler, zone=self.timezone)
        scheduler.add_job(self.follow_zone, 'interval', seconds=ZONE_CHECK_SECONDS, id=FOLLOW_ZONE,
                          jobstore='local', coalesce=True, max_instances=1, replace_existing=True)
        scheduler.resume()
        self._scheduler = scheduler
        log.info('scheduler running (leader)')

    def follow_zone(self) -> bool:
        """Re-register the jobs when the practice's stored zone changed; returns whether it did."""
        scheduler = self._scheduler
        if scheduler is None:
            return False
        zone = self.zone_of()
        if zone == self.timezone:
            return False
        register_jobs(scheduler, zone=zone)
        log.info('scheduler follows the practice to a new time zone')
        self.timezone = zone
        return True

    def next_runs(self) -> dict[str, object]:
        if self._scheduler is None:
            return {}
        return {job.id: job.next_run_time for job in self._scheduler.get_jobs(jobstore='default')}

    def stop(self) -> None:
        self._stopped = True
        if self._retry is not None:
            self._retry.cancel()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._lock is not None:
            self._lock.release()
