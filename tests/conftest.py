"""Shared fixtures: databases on SQLite and PostgreSQL, settings for tests.

The suite can run on pytest-xdist workers (`scripts/test -n 2`), so no test reads what another process writes: SQLite
templates and copies live under each worker's tmp_path, each worker creates its own PostgreSQL database
(settle_test_<random>), servers started by tests listen on free ports (tests/support/servers.py),
NiceGUI's testing plugin gives each process its own storage directory, and Redis keys carry a random prefix.
Files stored by services go under a temporary PORTAL_FILE_DIR (the workers inherit the controller's;
each stored file has a random key)."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault('PORTAL_ENV', 'test')
os.environ.setdefault('PORTAL_SCHEDULER', 'off')
os.environ.setdefault('PORTAL_DEMO_SEED', 'false')
os.environ.setdefault('PORTAL_FILE_DIR', tempfile.mkdtemp(prefix='settle-test-files-'))  # never data/files

from portal.config import reload_settings  # noqa: E402
from portal.db import dispose_engine, init_engine  # noqa: E402
from tests.support.databases import PostgresDatabase, postgres_reachable, sqlite_copy, sqlite_template  # noqa: E402


@pytest.fixture(scope='session')
def sqlite_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sqlite_template(tmp_path_factory.mktemp('db-template'))


@pytest.fixture(scope='session')
def postgres_database() -> Iterator[PostgresDatabase | None]:
    if not postgres_reachable():
        if os.environ.get('CI'):
            pytest.fail('PostgreSQL is not reachable on 127.0.0.1:5432; CI runs every service test on it.')
        yield None
        return
    database = PostgresDatabase()
    try:
        from portal.db import migrate
        migrate(database.url)
        yield database
    finally:
        dispose_engine()
        database.drop()


@pytest.fixture(params=['sqlite', 'postgres'])
def db(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template_path: Path,
       monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated, empty database as the process's one engine; yields its URL."""
    if request.param == 'sqlite':
        url = sqlite_copy(sqlite_template_path, tmp_path)
    else:
        database: PostgresDatabase | None = request.getfixturevalue('postgres_database')
        if database is None:
            pytest.skip('PostgreSQL is not reachable')
        database.truncate_all()
        url = database.url
    monkeypatch.setenv('PORTAL_DATABASE_URL', url)
    reload_settings()
    init_engine(url)
    try:
        yield url
    finally:
        dispose_engine()
        reload_settings()


@pytest.fixture(autouse=True)
def _fresh_practice_cache() -> Iterator[None]:
    """Each test reads its own database's practice, not one cached by an earlier test."""
    from portal.services.practice import forget_cached
    forget_cached()
    yield
    forget_cached()
