"""The scheduler's job registrations (fixed ids, explicit misfire grace and coalescing), the recorded runs
staff see, and "run now"."""
from __future__ import annotations

import threading
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.job_catalogue import JOBS, describe
from portal.jobs import runs, scheduler
from portal.jobs.scheduler import SchedulerService, job_options
from portal.models import AuditEvent, JobRun, PracticeSettings
from portal.services import operations
from tests.factories import make_user

STAFF = Actor(user_id=2, role='staff')


def probe_ok() -> int:
    return 7


def probe_fails() -> int:
    raise RuntimeError('the remote end went away')


gate = threading.Event()


def probe_waits() -> int:
    gate.wait(10)
    return 1


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(JOBS, 'probe_ok', (f'{__name__}:probe_ok', 'interval', {'minutes': 5}))
    monkeypatch.setitem(JOBS, 'probe_fails', (f'{__name__}:probe_fails', 'cron', {'hour': 2, 'minute': 0}))
    monkeypatch.setitem(JOBS, 'probe_waits', (f'{__name__}:probe_waits', 'interval', {'seconds': 30}))


def test_every_job_gets_explicit_misfire_grace_and_coalescing() -> None:
    assert job_options('interval', {'minutes': 1}) == {'minutes': 1, 'misfire_grace_time': 60, 'coalesce': True,
                                                       'max_instances': 1}
    assert job_options('cron', {'hour': 3})['misfire_grace_time'] == scheduler.DAILY_GRACE_SECONDS
    assert job_options('cron', {'hour': 3, 'misfire_grace_time': 5, 'coalesce': False})['coalesce'] is False
    assert describe('cron', {'hour': 8, 'minute': 30, 'misfire_grace_time': 1}) == 'Daily at 08:30'
    assert describe('interval', {'minutes': 1}) == 'Every minute'
    assert JOBS['reminders'][0] == 'portal.jobs.reminders:run'


def test_the_leader_registers_each_job_once_under_its_fixed_id(db: str) -> None:
    first_next_runs: dict = {}
    for _ in range(2):  # a restart replaces the stored jobs; it does not add copies
        service = SchedulerService(enabled=True)
        try:
            service.start()
            jobs = {job.id: job for job in service._scheduler.get_jobs(jobstore='default')}  # noqa: SLF001
            assert set(jobs) == set(JOBS)
            assert service._scheduler.get_job(scheduler.FOLLOW_ZONE, jobstore='local') is not None  # noqa: SLF001
            for job_id, job in jobs.items():
                assert job.args == (job_id,) and job.func_ref == scheduler.RUNNER
                assert job.coalesce is True and job.misfire_grace_time and job.max_instances == 1
            assert set(service.next_runs()) == set(JOBS)
            # an unchanged schedule keeps its stored next run: a missed run is caught up, not skipped
            assert service.next_runs() == (first_next_runs or service.next_runs())
            first_next_runs = service.next_runs()
        finally:
            service.stop()


def test_a_run_is_recorded_with_outcome_items_and_error(db: str, probes: None) -> None:
    assert runs.execute('probe_ok') == runs.RunResult('probe_ok', 'ok', 7)
    failed = runs.execute('probe_fails')
    assert (failed.outcome, failed.error) == ('failed', 'RuntimeError: the remote end went away')
    latest = operations.last_runs(['probe_ok', 'probe_fails', 'housekeeping'])
    assert set(latest) == {'probe_ok', 'probe_fails'}
    assert (latest['probe_ok'].outcome, latest['probe_ok'].items) == ('ok', 7)
    assert latest['probe_ok'].finished_at >= latest['probe_ok'].started_at
    assert latest['probe_fails'].error.startswith('RuntimeError')


def test_a_job_already_running_here_is_not_started_twice(db: str, probes: None) -> None:
    gate.clear()
    first = threading.Thread(target=runs.execute, args=('probe_waits',))
    first.start()
    try:
        for _ in range(200):
            if 'probe_waits' in runs._running:  # noqa: SLF001
                break
            threading.Event().wait(0.01)
        assert runs.execute('probe_waits').outcome == 'busy'
    finally:
        gate.set()
        first.join(10)
    assert runs.execute('probe_waits').outcome == 'ok'


def test_old_per_run_records_are_pruned_and_claimed_keys_kept(db: str, probes: None) -> None:
    runs.execute('probe_ok')
    with write_session() as session:
        session.add(JobRun(job='statement_run', key='2026-01', started_at=utcnow() - timedelta(days=90)))
    assert runs.prune_runs(utcnow() + timedelta(days=15)) == 1
    with read_session() as session:
        assert [row.key for row in session.exec(select(JobRun)).all()] == ['2026-01']


def test_staff_see_jobs_and_only_admins_run_them(db: str, probes: None) -> None:
    admin = make_user(role='admin')
    ADMIN = Actor(user_id=admin.id, role='admin')  # noqa: N806
    statuses = {status.id: status for status in operations.job_statuses(actor=STAFF, next_runs={})}
    assert set(statuses) == set(JOBS)
    assert statuses['probe_ok'].outcome == 'never run' and statuses['probe_ok'].next_run is None
    with pytest.raises(NotFound):
        operations.job_statuses(actor=Actor(user_id=make_user().id, role='patient'), next_runs={})
    with pytest.raises(NotFound):  # only admins: a refusal is a 404, as for a changed id
        runs.run_now(actor=STAFF, job_id='probe_ok')
    with pytest.raises(NotFound):
        runs.run_now(actor=ADMIN, job_id='no_such_job')
    assert runs.run_now(actor=ADMIN, job_id='probe_ok').items == 7
    assert {status.id: status.outcome for status in operations.job_statuses(actor=STAFF, next_runs={})}[
        'probe_ok'] == 'ok'
    with read_session() as session:
        assert session.exec(select(AuditEvent.action).where(AuditEvent.entity_id == 'probe_ok')).all() == [
            'job_run_now']


def _store_zone(zone: str) -> None:
    with write_session() as session:
        row = session.exec(select(PracticeSettings)).first() or PracticeSettings(name='Riverside Family Medicine')
        row.timezone = zone
        session.add(row)


def test_daily_jobs_follow_a_change_of_the_practices_zone(db: str) -> None:
    _store_zone('America/Chicago')
    service = SchedulerService(enabled=True)
    try:
        service.start()
        job = service._scheduler.get_job('statement_run')  # noqa: SLF001
        assert str(job.trigger.timezone) == 'America/Chicago' and service.timezone == 'America/Chicago'
        assert job.next_run_time.astimezone(ZoneInfo('America/Chicago')).time() == time(6, 0)
        assert service.follow_zone() is False  # nothing changed: nothing rescheduled
        _store_zone('America/New_York')  # an admin moves the practice
        assert service.follow_zone() is True
        job = service._scheduler.get_job('statement_run')  # noqa: SLF001
        assert str(job.trigger.timezone) == 'America/New_York'
        assert job.next_run_time.astimezone(ZoneInfo('America/New_York')).time() == time(6, 0)
        interval = service._scheduler.get_job('deliver_notifications')  # noqa: SLF001
        assert interval is not None and set(service.next_runs()) == set(JOBS)
    finally:
        service.stop()
    restarted = SchedulerService(enabled=True)  # a new leader reads the stored zone too
    try:
        restarted.start()
        assert str(restarted._scheduler.get_job('reminders').trigger.timezone) == 'America/New_York'  # noqa: SLF001
    finally:
        restarted.stop()
