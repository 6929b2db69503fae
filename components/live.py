"""Live pages: `watch(topics, on_change)` from inside a page re-runs `on_change` on that page's client when
a service publishes one of the topics (`portal.live.publish`), in this process or another.

One hub per process holds the watchers by topic and the process's one listener (`start` on app start-up,
`stop` on shutdown). The listener's thread hands topics to the event loop; the hub calls each matching
watcher's `on_change` in its client's context, coalesced: at most one call per watcher every
`COALESCE_SECONDS`, never two of its calls running at once (a burst of ten messages costs two refreshes).
A watcher goes when its client is deleted (the browser left and did not come back within the reconnect
timeout); a short disconnect keeps it, so a page that reconnects is still live. While its client has no
socket (the browser navigated away, or the network dropped) a watcher is not run: a topic marks it stale and
it runs once when the client reconnects. So a page nobody is looking at never acts for its user (a thread
page left behind would otherwise mark a new reply read during the 10 s reconnect window).

Call `watch` once per page, outside any `ui.refreshable` (each call adds a watcher).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from nicegui import storage, ui

from portal import live

log = logging.getLogger(__name__)
COALESCE_SECONDS = 0.5


class LiveClient(Protocol):
    """What the hub needs of a NiceGUI client (a stand-in in tests and the benchmark)."""

    @property
    def is_deleted(self) -> bool: ...
    def safe_invoke(self, func: Callable[[], Any]) -> None: ...
    def on_delete(self, handler: Callable[[], Any]) -> None: ...
    # optional (NiceGUI clients have both; a stand-in without them counts as always connected):
    # has_socket_connection -> bool; on_connect(handler)


class Watcher:
    __slots__ = ('client', 'topics', 'on_change', 'scheduled', 'running', 'again', 'last_run', 'stale')

    def __init__(self, client: LiveClient, topics: frozenset[str], on_change: Callable[[], Any]) -> None:
        self.client = client
        self.topics = topics
        self.on_change = on_change
        self.scheduled = False  # a call is due (timer set)
        self.running = False  # an async on_change is still running
        self.again = False  # a topic arrived while it ran: call once more afterwards
        self.last_run = float('-inf')
        self.stale = False  # a topic arrived while the client had no socket: run on reconnect


class Hub:
    """Watchers by topic and the process's listener. Everything but `_from_listener` runs on the event loop."""

    def __init__(self) -> None:
        self._by_topic: dict[str, set[Watcher]] = defaultdict(set)
        self._watchers: set[Watcher] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._listener: live.Listener | None = None
        self._hooks: list[Callable[[frozenset[str]], None]] = []  # kept across restarts: set at import time

    @property
    def listener(self) -> live.Listener | None:
        return self._listener

    def __len__(self) -> int:
        return len(self._watchers)

    def start(self, database_url: str) -> None:
        """Start this process's listener (call on the event loop, once the database is migrated)."""
        previous = self.detach()
        if previous is not None:
            previous.stop()
        self._loop = asyncio.get_running_loop()
        self._listener = live.listener(database_url, self._from_listener)
        self._listener.start()

    def detach(self) -> live.Listener | None:
        """Forget every watcher and the listener; returns the listener for the caller to stop (it may take
        up to a second, so not on the event loop)."""
        listener, self._listener = self._listener, None
        self._by_topic.clear()
        self._watchers.clear()
        return listener

    def add(self, client: LiveClient, topics: Iterable[str], on_change: Callable[[], Any]) -> Watcher:
        watcher = Watcher(client, frozenset(topics), on_change)
        self._watchers.add(watcher)
        for topic in watcher.topics:
            self._by_topic[topic].add(watcher)
        client.on_delete(lambda: self.remove(watcher))
        on_connect = getattr(client, 'on_connect', None)
        if on_connect is not None:
            on_connect(lambda: self._reconnected(watcher))
        return watcher

    def _reconnected(self, watcher: Watcher) -> None:
        if watcher.stale and watcher in self._watchers:
            watcher.stale = False
            self._schedule(watcher)

    def remove(self, watcher: Watcher) -> None:
        self._watchers.discard(watcher)
        for topic in watcher.topics:
            watchers = self._by_topic.get(topic)
            if watchers is not None:
                watchers.discard(watcher)
                if not watchers:
                    del self._by_topic[topic]

    def _from_listener(self, topics: frozenset[str]) -> None:
        """Called on the listener's thread: hand over to the event loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self.notify, topics)
        except RuntimeError:  # the loop closed between the check and the call (shutdown)
            pass

    def on_topics(self, hook: Callable[[frozenset[str]], None]) -> None:
        """Call `hook(topics)` on the event loop for every batch of topics, before the pages' watchers and
        whether or not any page is open (process-wide caches that a topic makes stale)."""
        self._hooks.append(hook)

    def notify(self, topics: Iterable[str]) -> None:
        """Topics changed: run the hooks, then schedule each watcher of any of them once."""
        topics = frozenset(topics)
        for hook in self._hooks:
            try:
                hook(topics)
            except Exception:
                log.exception('a live topic hook failed')
        if live.EVERYTHING in topics:
            due = set(self._watchers)
        else:
            due = set().union(*(self._by_topic.get(topic, ()) for topic in topics)) if topics else set()
        for watcher in due:
            self._schedule(watcher)

    def _schedule(self, watcher: Watcher) -> None:
        if watcher.running:
            watcher.again = True
            return
        if watcher.scheduled:
            return
        loop = asyncio.get_running_loop()
        watcher.scheduled = True
        wait = watcher.last_run + COALESCE_SECONDS - loop.time()
        if wait > 0:
            loop.call_later(wait, self._fire, watcher)
        else:
            loop.call_soon(self._fire, watcher)

    def _fire(self, watcher: Watcher) -> None:
        watcher.scheduled = False
        if watcher not in self._watchers:
            return
        if watcher.client.is_deleted:
            self.remove(watcher)
            return
        if not getattr(watcher.client, 'has_socket_connection', True):
            watcher.stale = True  # nobody is looking: run when the browser reconnects, if it does
            return
        watcher.last_run = asyncio.get_running_loop().time()
        watcher.client.safe_invoke(lambda: self._call(watcher))

    def _call(self, watcher: Watcher) -> Awaitable[None] | None:
        """Runs inside the client's context (safe_invoke); an awaitable result is awaited there too. The
        page's request is made current first, as NiceGUI does for a browser event: without it
        `app.storage.user` (who is signed in) cannot be read from a live refresh."""
        request = getattr(watcher.client, 'request', None)
        if request is not None:
            storage.request_contextvar.set(request)
        result = watcher.on_change()
        if inspect.isawaitable(result):
            watcher.running = True
            return self._finish(watcher, result)
        return None

    async def _finish(self, watcher: Watcher, result: Awaitable[Any]) -> None:
        try:
            await result
        finally:
            watcher.running = False
            if watcher.again:
                watcher.again = False
                self._schedule(watcher)


hub = Hub()


def watch(topics: list[str], on_change: Callable[[], Any]) -> None:
    """From inside a page: call `on_change()` (sync or async, on this page's client) within about a second
    (SQLite) or at once (PostgreSQL) after a publish of any of `topics` commits, in any process; bursts are
    coalesced (at most one call every 0.5 s). The watch ends when the page's client is deleted."""
    hub.add(ui.context.client, topics, on_change)


def start(database_url: str) -> None:
    hub.start(database_url)


async def stop() -> None:
    """On shutdown. Not `run.io_bound`: NiceGUI skips those calls once the app is stopping."""
    listener = hub.detach()
    if listener is not None:
        await asyncio.to_thread(listener.stop)
