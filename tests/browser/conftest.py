"""Real-browser fixtures: one portal server per session (real main.py, SQLite, demo data) and Debian's
Chromium driven by Playwright. Playwright cannot download its own browsers here, so it launches
/usr/bin/chromium (scripts/setup installs it)."""
from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import ROOT, ServerHandle, start_portal, wait_for_demo_data

CHROMIUM = os.environ.get('PORTAL_TEST_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
                 '--disable-component-update', '--disable-sync', '--no-first-run']
SCREENSHOTS = ROOT / 'test-artifacts' / 'screenshots'
# Imported by each pytest-xdist worker while it collects, before any worker runs a test: a failure screenshot
# older than this is from an earlier run, a newer one from this run (maybe another worker's) and stays.
COLLECTED_AT = time.time()


# Package scope, not session: sync Playwright keeps an asyncio loop running in the main thread while it is
# open, and pytest-asyncio tests collected after this package ("Runner.run() cannot be called from a running
# event loop") need it closed. So no async tests in this package either.
@pytest.fixture(scope='package')
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    server = start_portal(tmp_path_factory.mktemp('browser-portal'), PORTAL_PAYMENTS='demo')
    try:
        wait_for_demo_data(server)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='package')
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        message = f'{CHROMIUM} is missing: run scripts/setup (apt-get install chromium)'
        if os.environ.get('CI'):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope='session')
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for stale in SCREENSHOTS.glob('failed-*.png'):
        with contextlib.suppress(FileNotFoundError):  # another worker removed it first
            if stale.stat().st_mtime < COLLECTED_AT:  # left by an earlier run
                stale.unlink()
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
    report = yield
    setattr(item, f'report_{report.when}', report)
    return report


def watch_csp(page, sink: list[str]) -> None:  # noqa: ANN001
    """Collect the Content Security Policy violations Chromium reports in the page's console."""
    page.on('console', lambda message: sink.append(f'{message.text} ({page.url})')
            if message.type == 'error' and 'Content Security Policy' in message.text else None)


@pytest.fixture
def new_page(request: pytest.FixtureRequest, chromium, portal_server: ServerHandle,  # noqa: ANN001, ANN201
             screenshots: Path):
    """Factory: a page in a fresh browser context (no cookies) with the given viewport. A failed test leaves
    a screenshot of each of its pages in test-artifacts/screenshots/failed-<test>-<n>.png. Any Content
    Security Policy violation the browser reports fails the test (every journey checks the policy)."""
    contexts = []
    violations: list[str] = []

    def make(width: int, height: int):  # noqa: ANN202
        context = chromium.new_context(viewport={'width': width, 'height': height}, base_url=portal_server.base_url)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []  # type: ignore[attr-defined]
        page.on('pageerror', lambda error: page.console_errors.append(str(error)))
        watch_csp(page, violations)
        return page

    yield make
    report = getattr(request.node, 'report_call', None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            for page in context.pages:
                try:
                    page.screenshot(path=screenshots / f'failed-{request.node.name}-{number}.png', full_page=True)
                except Exception:  # noqa: BLE001, S110  (a screenshot is a courtesy, not the test)
                    pass
        context.close()
    if violations:
        pytest.fail('Content Security Policy violations in the browser console:\n' + '\n'.join(violations))
