"""The practice facts cache (`practice.cached_practice`) never makes the event loop wait on the database:
past CACHE_SECONDS the loop gets the last value while one background thread reads the new one; the
per-process `CacheRefresher` picks up a change another process made within its period."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlmodel import select

from portal.db import write_session
from portal.models import PracticeSettings
from portal.services import practice


def _rename(name: str) -> None:
    """What an admin in another process does: change the row; this process's cache is not told."""
    with write_session() as session:
        row = session.exec(select(PracticeSettings)).first() or PracticeSettings(name=name)
        row.name = name
        session.add(row)


async def _until(check, seconds: float = 3.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, 'not within the time allowed'
        await asyncio.sleep(0.01)


async def test_the_event_loop_gets_the_last_value_while_a_thread_reads_the_new_one(
        db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _rename('Old Name Clinic')
    await asyncio.to_thread(practice.refresh_cached)
    _rename('New Name Clinic')
    monkeypatch.setattr(practice, 'CACHE_SECONDS', 0.0)  # expired from now on
    loop_thread = threading.current_thread()
    readers: list[threading.Thread] = []
    original = practice.load_practice

    def load() -> practice.Practice:
        readers.append(threading.current_thread())
        time.sleep(0.2)  # a slow database
        return original()

    monkeypatch.setattr(practice, 'load_practice', load)
    started = time.perf_counter()
    assert practice.cached_practice().name == 'Old Name Clinic'  # at once, from the cache
    assert practice.cached_practice().name == 'Old Name Clinic'  # one read under way, not two
    assert time.perf_counter() - started < 0.05
    monkeypatch.setattr(practice, 'CACHE_SECONDS', 30.0)
    await _until(lambda: practice.cached_practice().name == 'New Name Clinic')
    assert len(readers) == 1 and readers[0] is not loop_thread


def test_off_the_event_loop_an_old_cache_is_read_there_and_then(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _rename('Old Name Clinic')
    practice.refresh_cached()
    _rename('New Name Clinic')
    monkeypatch.setattr(practice, 'CACHE_SECONDS', 0.0)
    assert practice.cached_practice().name == 'New Name Clinic'


async def test_the_refresher_follows_a_change_made_by_another_process(db: str) -> None:
    _rename('Old Name Clinic')
    await asyncio.to_thread(practice.refresh_cached)
    refresher = practice.CacheRefresher(every=0.05)
    refresher.start()
    try:
        _rename('New Name Clinic')
        await _until(lambda: practice.cached_practice().name == 'New Name Clinic')
    finally:
        refresher.stop()
    assert not any(thread.name == 'practice-cache' for thread in threading.enumerate())
