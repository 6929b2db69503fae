"""portal.live on SQLite and PostgreSQL: a publish reaches the process's listener only once its transaction
commits, also from another process; the PostgreSQL listener comes back after its connection is killed."""
from __future__ import annotations

import queue
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import func
from sqlmodel import select

from portal import live
from portal.clock import utcnow
from portal.db import ROOT, read_session, write_session
from portal.models import LiveEvent

DELIVERY_SECONDS = 3.0


class Heard:
    """A listener's deliveries, in the order they came."""

    def __init__(self) -> None:
        self.batches: queue.Queue[frozenset[str]] = queue.Queue()

    def __call__(self, topics: frozenset[str]) -> None:
        self.batches.put(topics)

    def topics_within(self, seconds: float, *, until: str | None = None) -> set[str]:
        """Every topic heard within `seconds` (or until `until` is heard)."""
        heard: set[str] = set()
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0 and (until is None or until not in heard):
            try:
                heard |= self.batches.get(timeout=left)
            except queue.Empty:
                break
        return heard


@pytest.fixture
def heard(db: str) -> Iterator[Heard]:
    """This process's listener on the test database, connected."""
    receiver = Heard()
    listener = live.listener(db, receiver)
    listener.start()
    assert listener.connected.wait(5), 'the listener did not connect'
    receiver.listener = listener  # type: ignore[attr-defined]
    try:
        yield receiver
    finally:
        listener.stop()
    assert not listener.running


def publish(*topics: str) -> None:
    with write_session() as session:
        for topic in topics:
            live.publish(session, topic)


def test_a_commit_is_heard_within_three_seconds(heard: Heard) -> None:
    started = time.monotonic()
    publish('thread:7', 'inbox:3', 'staff-queue')
    assert heard.topics_within(DELIVERY_SECONDS, until='staff-queue') >= {'thread:7', 'inbox:3', 'staff-queue'}
    assert time.monotonic() - started < DELIVERY_SECONDS


def test_a_rolled_back_publish_is_never_heard(heard: Heard) -> None:
    with pytest.raises(RuntimeError), write_session() as session:
        live.publish(session, 'thread:1')
        raise RuntimeError('the use-case failed after publishing')
    publish('thread:2')  # a later commit, so we know the listener has looked past the rolled-back one
    assert heard.topics_within(DELIVERY_SECONDS, until='thread:2') == {'thread:2'}
    assert heard.topics_within(1.2) == set()


def test_a_publish_from_another_process_is_heard(heard: Heard, db: str) -> None:
    script = ('import sys\nfrom portal.db import init_engine, write_session\nfrom portal import live\n'
              'init_engine(sys.argv[1])\n'
              'with write_session() as session:\n    live.publish(session, "thread:42")\n')
    subprocess.run([sys.executable, '-c', script, db], cwd=ROOT, check=True, timeout=60)
    assert 'thread:42' in heard.topics_within(DELIVERY_SECONDS, until='thread:42')


@pytest.mark.parametrize('topic', ['', '*', 'x' * 121, 'thread:1\n', 'thread:\x001'])
def test_a_bad_topic_is_refused(db: str, topic: str) -> None:
    with pytest.raises(ValueError, match='not a live topic'), write_session() as session:
        live.publish(session, topic)


def test_the_sqlite_poller_prunes_old_rows_it_has_seen(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if not db.startswith('sqlite'):
        pytest.skip('PostgreSQL relays topics with NOTIFY: the table stays empty')
    with write_session() as session:
        session.add(LiveEvent(topic='thread:old', created_at=utcnow() - timedelta(seconds=live.KEEP_SECONDS + 5)))
    monkeypatch.setattr(live, 'PRUNE_EVERY_SECONDS', 0)
    receiver = Heard()
    poller = live.listener(db, receiver)
    poller.start()
    try:
        assert poller.connected.wait(5)
        publish('thread:new')
        assert 'thread:new' in receiver.topics_within(DELIVERY_SECONDS, until='thread:new')
        deadline = time.monotonic() + DELIVERY_SECONDS
        while time.monotonic() < deadline:
            with read_session() as session:
                topics = set(session.exec(select(LiveEvent.topic)).all())
            if topics == {'thread:new'}:
                break
            time.sleep(0.2)
        assert topics == {'thread:new'}, 'the old row is pruned, the young one is kept'
    finally:
        poller.stop()
    with read_session() as session:  # the ids go on after a prune (AUTOINCREMENT)
        assert session.exec(select(func.max(LiveEvent.id))).one() == 2


def test_the_postgres_listener_reconnects_after_its_backend_is_killed(heard: Heard, db: str) -> None:
    if db.startswith('sqlite'):
        pytest.skip('PostgreSQL only')
    listener: live.PostgresListener = heard.listener  # type: ignore[attr-defined]
    first = listener.backend_pid
    with psycopg.connect(db, autocommit=True) as admin:
        assert admin.execute('SELECT pg_terminate_backend(%s)', (first,)).fetchone() == (True,)
    publish('thread:lost')  # may be published while the listener is away: it delivers EVERYTHING instead
    assert live.EVERYTHING in heard.topics_within(10, until=live.EVERYTHING)
    assert listener.connected.wait(5) and listener.backend_pid != first
    publish('thread:after')
    assert 'thread:after' in heard.topics_within(DELIVERY_SECONDS, until='thread:after')
