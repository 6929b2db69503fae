"""components.calls: a service call whose page task was cancelled stops the page instead of answering None."""
from __future__ import annotations

import asyncio

import pytest
from nicegui import run

from components import calls


def nothing() -> None:
    return None


def twice(value: int) -> int:
    return 2 * value


async def cancelled(*_args: object, **_kwargs: object) -> None:
    return None  # what NiceGUI 3's run.io_bound answers for a cancelled task or a stopping app


async def test_a_use_case_that_returns_none_still_answers_none() -> None:
    assert await calls.call(nothing) is None
    assert await calls.call(twice, 21) == 42


async def test_a_cancelled_call_raises_instead_of_answering_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, 'io_bound', cancelled)
    for helper in (calls.call, calls.read, calls.write):
        with pytest.raises(asyncio.CancelledError):
            await helper(twice, 21)
