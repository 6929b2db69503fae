"""The one engine, session scopes, SQLite pragmas and migrations.

SQLite runs in WAL mode with synchronous=FULL, foreign keys on and a busy timeout. Write
transactions open with BEGIN IMMEDIATE: a deferred transaction that reads and then writes fails
at once with "database is locked" under concurrency, whatever the busy timeout.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

ROOT = Path(__file__).resolve().parent.parent
_engine: Engine | None = None
_write_engine: Engine | None = None
_lock = threading.Lock()
ModelT = TypeVar('ModelT', bound=SQLModel)


def normalize_url(url: str) -> str:
    """Accept plain postgresql:// URLs and point them at psycopg 3."""
    if url.startswith('postgres://'):
        url = 'postgresql://' + url[len('postgres://'):]
    if url.startswith('postgresql://'):
        url = 'postgresql+psycopg://' + url[len('postgresql://'):]
    return url


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine.url if isinstance(url_or_engine, Engine) else make_url(normalize_url(url_or_engine))
    return url.get_backend_name() == 'sqlite'


def build_engine(url: str) -> Engine:
    """hide_parameters: SQL errors end up in logs, and their parameters can be personal data."""
    url = normalize_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ':memory:':
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={'check_same_thread': False, 'timeout': 30},
                               pool_size=10, max_overflow=20, hide_parameters=True)
        _install_sqlite_pragmas(engine)
    else:
        engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, hide_parameters=True)
    return engine


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, 'connect')
    def _on_connect(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute('PRAGMA journal_mode=WAL')
        cursor.execute('PRAGMA synchronous=FULL')
        cursor.execute('PRAGMA foreign_keys=ON')
        cursor.execute('PRAGMA busy_timeout=30000')
        cursor.close()

    @event.listens_for(engine, 'begin')
    def _on_begin(connection):  # noqa: ANN001
        mode = connection.get_execution_options().get('sqlite_begin', 'DEFERRED')
        connection.exec_driver_sql(f'BEGIN {mode}')


def init_engine(url: str) -> Engine:
    """Create (or replace) the process's one engine."""
    global _engine, _write_engine
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = build_engine(url)
        _write_engine = _engine.execution_options(sqlite_begin='IMMEDIATE') if is_sqlite(_engine) else _engine
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        from portal.config import get_settings
        init_engine(get_settings().database_url)
    assert _engine is not None
    return _engine


def dispose_engine() -> None:
    global _engine, _write_engine
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = _write_engine = None


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reads; nothing it does is committed."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session() -> Iterator[Session]:
    """A session for one use-case that writes: commits on success, rolls back on any error.

    Rows an error carries in `keep_after_rollback` (the audit event of a refused access, see
    `portal.auth.permissions.Refused`) are stored in a transaction of their own after the rollback."""
    get_engine()
    with Session(_write_engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException as error:
            session.rollback()
            keep = getattr(error, 'keep_after_rollback', ())
            if keep:
                try:
                    session.add_all(keep)
                    session.commit()
                except Exception as failure:  # noqa: BLE001  (the use-case's own error is the one to raise)
                    session.rollback()
                    logging.getLogger(__name__).warning('could not keep %s after a rollback: %s',
                                                        type(error).__name__, type(failure).__name__)
            raise


def savepoint_for_statement(connection: Connection) -> AbstractContextManager[object]:
    """Wrap a statement that may fail on a unique key, so the transaction survives the error.

    PostgreSQL aborts the whole transaction on an error, so it needs a savepoint; SQLite backs out
    only the failing statement and keeps the transaction, so a savepoint there is a wasted round trip.
    """
    return nullcontext() if connection.dialect.name == 'sqlite' else connection.begin_nested()


def insert_row(session: Session, row: ModelT) -> ModelT:
    """INSERT one new model row with a Core statement and attach it to the session as if loaded.

    The unit of work costs more than the INSERT on hot paths (webhooks); the row behaves as usual
    afterwards (later changes to it are flushed). Other pending changes are not flushed first.
    """
    table = type(row).__table__  # type: ignore[attr-defined]
    result = session.connection().execute(table.insert(), row.model_dump(exclude={'id'}))
    row.id = result.inserted_primary_key[0]  # type: ignore[attr-defined]
    make_transient_to_detached(row)
    session.add(row)
    return row


def ping() -> bool:
    with get_engine().connect() as connection:
        connection.execute(text('SELECT 1'))
    return True


def alembic_config(url: str | None = None):  # noqa: ANN201
    from alembic.config import Config
    config = Config()
    config.set_main_option('script_location', str(ROOT / 'portal' / 'migrations'))
    url = url or get_engine().url.render_as_string(hide_password=False)
    config.set_main_option('sqlalchemy.url', normalize_url(url).replace('%', '%%'))
    return config


def migrate(url: str | None = None) -> None:
    """alembic upgrade head on the given (or the current) database."""
    from alembic import command
    config = alembic_config(url)
    if url is None:
        with get_engine().begin() as connection:
            config.attributes['connection'] = connection
            command.upgrade(config, 'head')
    else:
        command.upgrade(config, 'head')
