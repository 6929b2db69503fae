"""Only one process runs jobs: the leader lock (file lock on SQLite, advisory lock on PostgreSQL)."""
from __future__ import annotations

from portal.db import build_engine
from portal.jobs.leader import LeaderLock
from portal.jobs.scheduler import SchedulerService


def test_only_one_holder_at_a_time(db: str) -> None:
    first_engine, second_engine = build_engine(db), build_engine(db)
    first, second = LeaderLock(first_engine), LeaderLock(second_engine)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        first.release()
        assert second.try_acquire()
    finally:
        first.release()
        second.release()
        first_engine.dispose()
        second_engine.dispose()


def test_scheduler_runs_on_the_leader_and_stands_by_elsewhere(db: str) -> None:
    leader, other = SchedulerService(enabled=True), SchedulerService(enabled=True)
    try:
        leader.start()
        other.start()
        assert leader.state == 'running'
        assert other.state == 'standby'
        assert 'housekeeping' in leader.next_runs()
    finally:
        leader.stop()
        other.stop()
    assert SchedulerService(enabled=False).state == 'off'


def test_the_delivery_job_sends_nothing_without_smtp(db: str) -> None:
    from portal.jobs import notifications
    from portal.jobs.scheduler import JOBS
    assert notifications.run() == 0
    assert JOBS['deliver_notifications'][0] == 'portal.jobs.notifications:run'
