"""Run blocking service calls off the event loop (database, argon2, Stripe, files).

NiceGUI 3's `run.io_bound` answers `None` instead of raising when its task is cancelled or the app is
stopping (an interim shape: NiceGUI 4 raises `CancelledError`). A use-case may itself return `None`, so each
call here boxes its result and turns a missing box into `asyncio.CancelledError`: a page whose request was
cancelled stops where it is instead of going on with `None` as if the service had answered it.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import run
from sqlmodel import Session

from portal.db import read_session, write_session

T = TypeVar('T')


def _boxed(function: Callable[..., T], args: tuple, kwargs: dict) -> tuple[T]:
    return (function(*args, **kwargs),)


async def _off_loop(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    box = await run.io_bound(_boxed, function, args, kwargs)
    if box is None:  # NiceGUI's sign that the task was cancelled or the app is stopping
        raise asyncio.CancelledError
    return box[0]


async def call(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """A use-case that opens its own sessions, run in a worker thread.

    Raises: whatever the use-case raises; `asyncio.CancelledError` when the page's task was cancelled.
    """
    return await _off_loop(function, args, kwargs)


def _in_read(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with read_session() as session:
        return function(session, *args, **kwargs)


def _in_write(function: Callable[..., T], args: tuple, kwargs: dict) -> T:
    with write_session() as session:
        return function(session, *args, **kwargs)


async def read(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """function(session, ...) in a read-only session, in a worker thread (cancellation as for `call`)."""
    return await _off_loop(_in_read, (function, args, kwargs), {})


async def write(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """function(session, ...) in one write transaction (committed on success), in a worker thread
    (cancellation as for `call`)."""
    return await _off_loop(_in_write, (function, args, kwargs), {})


__all__ = ['Session', 'call', 'read', 'write']
