"""Only one process runs jobs: the leader lock (file lock on SQLite, advisory lock on PostgreSQL)."""
from __future__ import annotations

import pytest

from portal.config import reload_settings
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


def _queue_message() -> None:
    from portal.db import write_session
    from portal.notify.outbox import enqueue
    with write_session() as session:
        enqueue(session, channel='email', template='statement_ready', recipient='maria@example.com',
                dedupe_key='statement_ready:1', context={'first_name': 'Maria', 'link': 'http://127.0.0.1/statements'})


def _outbox_statuses() -> list[str]:
    from sqlmodel import select

    from portal.db import read_session
    from portal.models import Notification
    with read_session() as session:
        return list(session.exec(select(Notification.status)).all())


def test_the_delivery_job_sends_nothing_without_smtp(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A message is waiting: without an SMTP URL the job leaves it in the outbox; with one, it goes."""
    from portal.job_catalogue import JOBS
    from portal.jobs import notifications
    from portal.notify import email
    sent: list[dict] = []
    monkeypatch.setattr(email, 'send_email', lambda **message: sent.append(message))
    monkeypatch.delenv('PORTAL_SMTP_URL', raising=False)
    reload_settings()
    _queue_message()
    assert notifications.run() == 0
    assert sent == [] and _outbox_statuses() == ['pending']

    with pytest.MonkeyPatch.context() as smtp:  # the same message is deliverable once there is SMTP
        smtp.setenv('PORTAL_SMTP_URL', 'smtp://127.0.0.1:2525')
        reload_settings()
        assert notifications.run() == 1
    reload_settings()
    assert [message['to'] for message in sent] == ['maria@example.com'] and _outbox_statuses() == ['sent']
    assert JOBS['deliver_notifications'][0] == 'portal.jobs.notifications:run'
