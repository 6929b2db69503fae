"""The one stoppable background loop (`portal/background.py`), shared by the live listener and the
practice cache's refresher: each of them starts one thread, a second start adds none, stop ends it."""
from __future__ import annotations

import threading

from portal import live
from portal.background import DaemonLoop
from portal.services import practice


class _Counting(DaemonLoop):
    thread_name = 'test-loop'

    def __init__(self) -> None:
        super().__init__()
        self.started = 0
        self.lock = threading.Lock()

    def _run(self) -> None:
        with self.lock:
            self.started += 1
        self._stop.wait()


def test_a_second_start_while_running_adds_no_thread_and_stop_ends_it() -> None:
    loop = _Counting()
    loop.start()
    loop.start()
    assert loop.running
    assert [thread.name for thread in threading.enumerate()].count('test-loop') == 1
    loop.stop()
    assert not loop.running
    assert loop.started == 1
    loop.start()  # a stopped loop starts again
    loop.stop()
    assert loop.started == 2


def test_the_live_listener_and_the_practice_refresher_are_the_one_loop() -> None:
    assert issubclass(live.Listener, DaemonLoop)
    assert issubclass(practice.CacheRefresher, DaemonLoop)
    for cls in (live.Listener, live.SqlitePoller, live.PostgresListener, practice.CacheRefresher):
        assert 'start' not in vars(cls), f'{cls.__name__} writes its own thread start-up again'


def test_the_practice_refresher_stops_within_its_wait() -> None:
    refresher = practice.CacheRefresher(every=3600)
    refresher.start()
    assert refresher.running
    refresher.stop(timeout=2)
    assert not refresher.running
