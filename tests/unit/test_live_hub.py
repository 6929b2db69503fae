"""components.live's hub: fan-out by topic, coalescing, one call at a time, unsubscribe when the client goes,
and the whole path from a commit through the process's listener to a page's callback."""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

import pytest

from components.live import COALESCE_SECONDS, Hub
from portal import live
from portal.db import write_session


class FakeClient:
    """A NiceGUI client as far as the hub sees it: safe_invoke runs the call (an awaitable as a task)."""

    def __init__(self) -> None:
        self.is_deleted = False
        self._on_delete: list[Callable[[], Any]] = []
        self.tasks: set[asyncio.Task] = set()

    def on_delete(self, handler: Callable[[], Any]) -> None:
        self._on_delete.append(handler)

    def safe_invoke(self, func: Callable[[], Any]) -> None:
        result = func()
        if inspect.isawaitable(result):
            task = asyncio.get_running_loop().create_task(result)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def delete(self) -> None:
        for handler in self._on_delete:
            handler()
        self.is_deleted = True


class Calls:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def test_only_the_watchers_of_a_topic_are_called() -> None:
    hub, thread_7, thread_8, queue = Hub(), Calls(), Calls(), Calls()
    hub.add(FakeClient(), ['thread:7'], thread_7)
    hub.add(FakeClient(), ['thread:8'], thread_8)
    hub.add(FakeClient(), ['staff-queue', 'thread:7'], queue)
    hub.notify({'thread:7'})
    await asyncio.sleep(0.05)
    assert (thread_7.count, thread_8.count, queue.count) == (1, 0, 1)
    hub.notify({live.EVERYTHING})  # after a reconnect: every watcher refreshes once
    await asyncio.sleep(COALESCE_SECONDS + 0.1)
    assert (thread_7.count, thread_8.count, queue.count) == (2, 1, 2)


async def test_a_burst_costs_two_calls() -> None:
    hub, calls = Hub(), Calls()
    hub.add(FakeClient(), ['thread:1'], calls)
    for _ in range(10):
        hub.notify({'thread:1'})
        await asyncio.sleep(0.02)
    assert calls.count == 1, 'the first topic is answered at once'
    await asyncio.sleep(COALESCE_SECONDS + 0.1)
    assert calls.count == 2, 'the rest of the burst folds into one call, half a second after the first'
    await asyncio.sleep(COALESCE_SECONDS + 0.1)
    assert calls.count == 2


async def test_a_slow_async_refresh_is_never_run_twice_at_once() -> None:
    hub, running, most, calls = Hub(), 0, 0, 0

    async def refresh() -> None:
        nonlocal running, most, calls
        running += 1
        calls += 1
        most = max(most, running)
        await asyncio.sleep(1.0)
        running -= 1

    hub.add(FakeClient(), ['inbox:1'], refresh)
    hub.notify({'inbox:1'})
    await asyncio.sleep(0.6)
    hub.notify({'inbox:1'})  # arrives while the first refresh still runs
    await asyncio.sleep(2.0)
    assert (most, calls) == (1, 2)


async def test_a_deleted_client_is_unsubscribed() -> None:
    hub, calls, client = Hub(), Calls(), FakeClient()
    hub.add(client, ['thread:1'], calls)
    assert len(hub) == 1
    client.delete()
    assert len(hub) == 0 and not hub._by_topic
    hub.notify({'thread:1'})
    await asyncio.sleep(0.05)
    assert calls.count == 0


async def test_a_client_deleted_before_its_call_is_dropped_then() -> None:
    hub, calls, client = Hub(), Calls(), FakeClient()
    hub.add(client, ['thread:1'], calls)
    client.is_deleted = True  # deleted, its handler not yet run
    hub.notify({'thread:1'})
    await asyncio.sleep(0.05)
    assert calls.count == 0 and len(hub) == 0


@pytest.mark.parametrize('db', ['sqlite', 'postgres'], indirect=True)
async def test_a_commit_reaches_the_watchers_callback_through_the_listener(db: str) -> None:
    hub, called = Hub(), asyncio.Event()
    hub.start(db)
    hub.add(FakeClient(), ['thread:5'], called.set)
    try:
        assert await asyncio.to_thread(hub.listener.connected.wait, 5)
        await asyncio.to_thread(publish, 'thread:5')
        await asyncio.wait_for(called.wait(), timeout=3)
    finally:
        listener = hub.detach()
        await asyncio.to_thread(listener.stop)


def publish(topic: str) -> None:
    with write_session() as session:
        live.publish(session, topic)


class WanderingClient(FakeClient):
    """A client whose browser can leave (no socket) and come back (NiceGUI calls the connect handlers)."""

    def __init__(self) -> None:
        super().__init__()
        self.has_socket_connection = True
        self._on_connect: list[Callable[[], Any]] = []

    def on_connect(self, handler: Callable[[], Any]) -> None:
        self._on_connect.append(handler)

    def reconnect(self) -> None:
        self.has_socket_connection = True
        for handler in self._on_connect:
            handler()


async def test_a_page_nobody_is_looking_at_is_not_refreshed_until_its_browser_comes_back() -> None:
    """A thread page left behind (the browser went to the inbox; the client lives on for the reconnect
    timeout) must not run its refresh, which would mark a new reply read on the user's behalf."""
    hub, calls, client = Hub(), Calls(), WanderingClient()
    hub.add(client, ['thread:7'], calls)
    client.has_socket_connection = False
    hub.notify({'thread:7'})
    hub.notify({'thread:7'})
    await asyncio.sleep(COALESCE_SECONDS + 0.1)
    assert calls.count == 0
    client.reconnect()
    await asyncio.sleep(0.05)
    assert calls.count == 1, 'it catches up once when the browser reconnects'
    client.reconnect()
    await asyncio.sleep(COALESCE_SECONDS + 0.1)
    assert calls.count == 1, 'a reconnect with nothing missed does not refresh'
