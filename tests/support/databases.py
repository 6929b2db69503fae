"""Test databases: one migrated template per session, copied (SQLite) or truncated (PostgreSQL) per test."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlmodel import SQLModel

import portal.models  # noqa: F401
from portal.db import build_engine, migrate

PG_ADMIN_URL = os.environ.get('PORTAL_TEST_POSTGRES_URL', 'postgresql://postgres@127.0.0.1:5432/postgres')


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def sqlite_template(directory: Path, name: str = 'template.db') -> Path:
    path = directory / name
    migrate(f'sqlite:///{path}')
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f'{uuid.uuid4().hex}.db'
    shutil.copyfile(template, target)
    return f'sqlite:///{target}'


class PostgresDatabase:
    """A database with a unique name, created now and dropped by drop()."""

    def __init__(self) -> None:
        self.name = f'settle_test_{uuid.uuid4().hex[:12]}'
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE {self.name}')
        self.url = PG_ADMIN_URL.rsplit('/', 1)[0] + f'/{self.name}'

    def truncate_all(self) -> None:
        engine = build_engine(self.url)
        try:
            names = ', '.join(f'"{table.name}"' for table in SQLModel.metadata.sorted_tables)
            with engine.begin() as connection:
                connection.execute(text(f'TRUNCATE {names} RESTART IDENTITY CASCADE'))
        finally:
            engine.dispose()

    def drop(self) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS {self.name} WITH (FORCE)')
