"""Live updates between processes: services `publish` a topic inside their write transaction, and one
`Listener` per process hears every topic published by any process once that transaction has committed.

Topics name what changed: `thread:{thread_id}`, `inbox:{account_id}`, `staff-queue`, `user:{user_id}` (an
admin changed that user: their open pages re-check their sign-in). A topic says only
*that* something changed (never what): pages reload what they show through the services, with their own
access checks, so a topic carries no data and no PHI.

- PostgreSQL: `publish` runs `SELECT pg_notify('settle_live', topic)` in the caller's transaction; the
  server delivers it on commit and drops it on rollback (identical notifications in one transaction fold
  into one). The listener holds one dedicated connection with `LISTEN settle_live` and sleeps on its
  socket (no polling). When the connection drops it reconnects with backoff (0.5 s doubling to 30 s) and
  then delivers EVERYTHING once, since notifications sent while it was away are lost.
- SQLite (one file that several processes may share): `publish` inserts a `live_event` row in the caller's
  transaction (a rollback takes it back); the listener reads the rows with an id above the last one it saw,
  once a second (one indexed range query per process, whatever the number of pages), and now and then
  deletes rows it has seen that are older than `KEEP_SECONDS`.

The listener calls `deliver(topics)` from its own thread with a frozenset of topics; the UI side
(`components/live.py`) hands them to the event loop and fans them out to the pages that watch them.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from portal.background import DaemonLoop
from portal.clock import utcnow
from portal.db import build_engine, is_sqlite, normalize_url
from portal.models.live import LiveEvent

log = logging.getLogger(__name__)

CHANNEL = 'settle_live'
EVERYTHING = '*'  # delivered after the listener may have missed topics: every watcher refreshes once
MAX_TOPIC_LENGTH = 120
POLL_SECONDS = 1.0  # SQLite: how often the one poller per process looks for new rows
KEEP_SECONDS = 300  # SQLite: rows older than this (and seen here) are pruned
PRUNE_EVERY_SECONDS = 60
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 30.0
Deliver = Callable[[frozenset[str]], None]
_event = LiveEvent.__table__  # type: ignore[attr-defined]


def publish(session: Session, topic: str) -> None:
    """Announce that `topic` changed, as part of the caller's write transaction: every process's listener
    hears it after the commit, none if the transaction rolls back. Cheap (one statement, no flush).

    Raises ValueError for an empty topic, one longer than 120 characters, or one with control characters
    (topics are built by services from ids, never from user input)."""
    if not topic or len(topic) > MAX_TOPIC_LENGTH or not topic.isprintable() or topic == EVERYTHING:
        raise ValueError(f'not a live topic: {topic!r}')
    connection = session.connection()
    if connection.dialect.name == 'postgresql':
        connection.execute(text('SELECT pg_notify(:channel, :topic)'), {'channel': CHANNEL, 'topic': topic})
    else:
        connection.execute(insert(_event).values(topic=topic, created_at=utcnow()))


class Listener(DaemonLoop):
    """This process's one listener (start on app start-up, stop on shutdown). `deliver` is called from the
    listener's daemon thread, never concurrently with itself; it must return quickly (hand over, not work)."""

    thread_name = 'settle-live-listener'

    def __init__(self, url: str, deliver: Deliver) -> None:
        super().__init__()
        self.url = normalize_url(url)
        self.deliver = deliver
        self.connected = threading.Event()  # set while the listener is connected and listening

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        self.connected.clear()

    def _hand_over(self, topics: frozenset[str]) -> None:
        if not topics or self._stop.is_set():
            return
        try:
            self.deliver(topics)
        except Exception:  # noqa: BLE001  (a failing receiver must not end the listener)
            log.warning('live: delivering %d topic(s) failed', len(topics), exc_info=True)

    def _backoff(self, delay: float) -> float:
        """Wait `delay` (or until stopped) and return the next, longer delay."""
        self._stop.wait(delay)
        return min(delay * 2, RETRY_MAX_SECONDS)


class PostgresListener(Listener):
    """LISTEN on one dedicated psycopg connection (autocommit, TCP keepalives so a silently dead peer is
    noticed); reconnects with backoff. `backend_pid` is the server process of the current connection."""

    WAKE_SECONDS = 1.0  # how often the thread looks at the stop flag while no notification arrives

    backend_pid: int | None = None

    def _conninfo(self) -> str:
        return make_url(self.url).set(drivername='postgresql').render_as_string(hide_password=False)

    def _run(self) -> None:
        import psycopg

        delay, first = RETRY_FIRST_SECONDS, True
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._conninfo(), autocommit=True, application_name='settle-live',
                                     connect_timeout=10, keepalives=1, keepalives_idle=30,
                                     keepalives_interval=10, keepalives_count=3) as connection:
                    connection.execute(f'LISTEN {CHANNEL}')
                    self.backend_pid = connection.info.backend_pid
                    self.connected.set()
                    if not first:
                        log.info('live: listener reconnected')
                        self._hand_over(frozenset({EVERYTHING}))
                    first, delay = False, RETRY_FIRST_SECONDS
                    while not self._stop.is_set():
                        notes = connection.notifies(timeout=self.WAKE_SECONDS, stop_after=1)
                        self._hand_over(frozenset(note.payload for note in notes))
            except psycopg.Error as error:
                self.connected.clear()
                if self._stop.is_set():
                    break
                log.warning('live: listener connection lost (%s); retrying in %.1f s', type(error).__name__, delay)
                delay = self._backoff(delay)
        self.connected.clear()


class SqlitePoller(Listener):
    """One indexed range query a second on a connection of its own; starts after the newest row."""

    poll_seconds = POLL_SECONDS

    def _run(self) -> None:
        engine: Engine | None = None
        last_seen: int | None = None
        delay = RETRY_FIRST_SECONDS
        next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        try:
            engine = build_engine(self.url)
            while not self._stop.is_set():
                try:
                    with engine.connect() as connection:
                        if last_seen is None:
                            last_seen = connection.execute(select(func.coalesce(func.max(_event.c.id), 0))).scalar_one()
                            self.connected.set()
                        rows = connection.execute(select(_event.c.id, _event.c.topic)
                                                  .where(_event.c.id > last_seen).order_by(_event.c.id)).all()
                        connection.rollback()  # end the read at once: an open snapshot holds back WAL checkpoints
                    if rows:
                        last_seen = rows[-1].id
                        self._hand_over(frozenset(row.topic for row in rows))
                    if time.monotonic() >= next_prune:
                        self._prune(engine, last_seen)
                        next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    delay = RETRY_FIRST_SECONDS
                    self._stop.wait(self.poll_seconds)
                except SQLAlchemyError as error:
                    log.warning('live: poll failed (%s); retrying in %.1f s', type(error).__name__, delay)
                    delay = self._backoff(delay)
        finally:
            self.connected.clear()
            if engine is not None:
                engine.dispose()

    @staticmethod
    def _prune(engine: Engine, last_seen: int) -> None:
        """Delete rows this process has seen that are older than KEEP_SECONDS (another process that is
        that far behind has bigger problems; it still gets every row younger than that)."""
        cutoff = utcnow() - timedelta(seconds=KEEP_SECONDS)
        with engine.execution_options(sqlite_begin='IMMEDIATE').begin() as connection:
            connection.execute(delete(_event).where(_event.c.id <= last_seen, _event.c.created_at < cutoff))


def listener(url: str, deliver: Deliver) -> Listener:
    """The listener for this database: LISTEN/NOTIFY on PostgreSQL, the poller on SQLite (not started)."""
    return SqlitePoller(url, deliver) if is_sqlite(url) else PostgresListener(url, deliver)
