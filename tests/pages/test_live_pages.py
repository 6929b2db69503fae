"""A page that watches a topic redraws when a service publishes it (through this process's listener, as
main.py starts it), ignores other topics, and stops watching when its client goes."""
from __future__ import annotations

import asyncio
import threading

import pytest
from nicegui import ui
from nicegui.testing import User

from components import live as live_ui
from pages import middleware
from portal import live
from portal.db import write_session

PROBE = '/live-probe'


def publish(topic: str) -> None:
    """What a messaging service does in its write session."""
    with write_session() as session:
        live.publish(session, topic)


@pytest.fixture
def probe_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middleware, 'PUBLIC_PAGES', middleware.PUBLIC_PAGES | {PROBE})

    @ui.page(PROBE)
    def probe() -> None:
        changes = 0
        label = ui.label('changes: 0').mark('changes')

        def changed() -> None:
            nonlocal changes
            changes += 1
            label.text = f'changes: {changes}'

        live_ui.watch(['thread:9'], changed)
        loaded = ui.label('loaded: never')

        async def reload() -> None:  # as a page reloads through a service: awaited on this client
            loaded.text = 'loaded: ' + await asyncio.to_thread(lambda: 'again')

        live_ui.watch(['inbox:3'], reload)


def listener_threads() -> int:
    return sum(thread.name == 'settle-live-listener' for thread in threading.enumerate())


async def test_a_watching_page_redraws_when_a_service_publishes(user: User, probe_page: None) -> None:
    assert listener_threads() == 1, 'one listener in this process: the one of the test before stopped at its shutdown'
    await user.open(PROBE)
    await user.should_see('changes: 0')
    assert len(live_ui.hub) == 2
    await asyncio.to_thread(publish, 'thread:8')  # somebody else's thread
    await asyncio.to_thread(publish, 'thread:9')
    await user.should_see('changes: 1')  # within 3 s (should_see retries for 3 s here)
    await asyncio.sleep(1.5)
    await user.should_see('changes: 1')
    await user.should_not_see('changes: 2')
    await user.should_see('loaded: never')
    await asyncio.to_thread(publish, 'inbox:3')
    await user.should_see('loaded: again')
    await user.should_see('changes: 1')


async def test_a_page_stops_watching_when_its_client_goes(user: User, probe_page: None) -> None:
    assert listener_threads() == 1, 'one listener in this process: the one of the test before stopped at its shutdown'
    await user.open(PROBE)
    await user.should_see('changes: 0')
    assert len(live_ui.hub) == 2
    user.client.delete()  # what NiceGUI does once the browser has been gone for the reconnect timeout
    assert len(live_ui.hub) == 0
