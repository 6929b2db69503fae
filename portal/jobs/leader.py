"""The leader lock: only one process runs jobs.

PostgreSQL: a session-level advisory lock held on a dedicated connection.
SQLite: an exclusive, non-blocking file lock beside the database file.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

ADVISORY_KEY = 0x5E771E  # "settle"


class LeaderLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._file: int | None = None

    @property
    def held(self) -> bool:
        return self._connection is not None or self._file is not None

    def _lock_path(self) -> Path:
        database = self.engine.url.database
        if not database or database == ':memory:':
            return Path('data') / 'scheduler.lock'
        return Path(database + '.scheduler.lock')

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.url.get_backend_name() == 'sqlite':
            path = self._lock_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                return False
            self._file = descriptor
            return True
        connection = self.engine.connect()
        got = connection.execute(text('SELECT pg_try_advisory_lock(:key)'), {'key': ADVISORY_KEY}).scalar()
        connection.commit()
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            os.close(self._file)
            self._file = None
        if self._connection is not None:
            try:
                self._connection.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': ADVISORY_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
