"""Run blocking service calls off the event loop (database, argon2, Stripe, files)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import run
from sqlmodel import Session

from portal.db import read_session, write_session

T = TypeVar('T')


async def call(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """A use-case that opens its own sessions, run in a worker thread."""
    return await run.io_bound(function, *args, **kwargs)


def _in_read(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with read_session() as session:
        return function(session, *args, **kwargs)


def _in_write(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with write_session() as session:
        return function(session, *args, **kwargs)


async def read(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """function(session, ...) in a read-only session, in a worker thread."""
    return await run.io_bound(_in_read, function, args, kwargs)


async def write(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """function(session, ...) in one write transaction (committed on success), in a worker thread."""
    return await run.io_bound(_in_write, function, args, kwargs)


__all__ = ['Session', 'call', 'read', 'write']
