"""One background thread per process that runs until it is told to stop: the live listener
(`portal/live.py`) and the practice cache's refresher (`services/practice.py`) are both one.

`start()` on app start-up (a second call while it runs does nothing), `stop()` on shutdown (sets the stop
flag and waits for the thread). A subclass writes `_run`, which must return soon after `_stop` is set:
it sleeps with `self._stop.wait(seconds)`, never `time.sleep`.
"""
from __future__ import annotations

import threading


class DaemonLoop:
    """A daemon thread named `thread_name` running `_run` until `stop()`."""

    thread_name = 'settle-background'

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        raise NotImplementedError
