"""Real-browser views of the notifications work at 390 and 1280: the profile's Notifications card (with
texting on), and staff's jobs and outbox pages with the scheduler running. axe-checked, no sideways
scrolling, screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_journeys import LAPTOP, PATIENT, PHONE, STAFF, assert_no_page_errors, sign_in, wait_connected
from tests.support.axe import assert_accessible
from tests.support.servers import ServerHandle, start_portal, wait_for_demo_data

pytestmark = pytest.mark.browser


@pytest.fixture(scope='module')
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """This module's own portal: texting on (the recording provider) and the scheduler running."""
    server = start_portal(tmp_path_factory.mktemp('notifications-portal'), PORTAL_PAYMENTS='demo',
                          PORTAL_SMS_PROVIDER='test', PORTAL_SCHEDULER='on')
    try:
        wait_for_demo_data(server)
        database = Path(server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///'))
        with sqlite3.connect(database, timeout=30) as connection:  # the demo staff may run jobs here
            connection.execute("UPDATE user SET role = 'admin' WHERE email = ?", (STAFF,))
        yield server
    finally:
        server.stop()


def _signed_in_at(page, email: str, ready: str, path: str) -> None:  # noqa: ANN001
    page.goto('/')
    wait_connected(page)
    sign_in(page, email)
    page.get_by_text(ready).first.wait_for(state='visible')
    page.goto(path)
    wait_connected(page)


def _no_sideways_scroll(page, width: int) -> None:  # noqa: ANN001
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_notification_choices_on_the_profile(new_page, screenshots, size) -> None:  # noqa: ANN001
    page, width = new_page(*size), size[0]
    _signed_in_at(page, PATIENT, 'Amount due', '/profile')
    box = page.get_by_label('Payment reminders by text message')
    box.wait_for(state='visible')
    if box.get_attribute('aria-checked') != 'true':
        # NiceGUI round-trips a checkbox's value through the server: under load its state can change
        # after Playwright's check() has looked, so click and wait for the state instead
        box.click()
    expect(box).to_have_attribute('aria-checked', 'true', timeout=15_000)
    page.get_by_label('Mobile number for texts').fill('')  # the other size's run may have saved one
    page.get_by_role('button', name='Save notification choices').click()
    page.get_by_text('Enter a mobile number to get text messages.').first.wait_for(state='visible')
    page.get_by_label('Mobile number for texts').fill('(555) 201-3344')
    page.get_by_role('button', name='Save notification choices').click()
    page.get_by_text('Your notification choices were saved.').wait_for(state='visible')
    _no_sideways_scroll(page, width)
    page.get_by_text('Notifications', exact=True).scroll_into_view_if_needed()
    page.screenshot(path=screenshots / f'notification-preferences-{width}.png', full_page=True)
    assert_accessible(page, f'/profile notifications at {width}')
    assert_no_page_errors(page)


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_staff_jobs_and_outbox(new_page, screenshots, size) -> None:  # noqa: ANN001
    page, width = new_page(*size), size[0]
    _signed_in_at(page, STAFF, 'Collections dashboard', '/staff/jobs')
    page.get_by_text('Scheduler: running.').wait_for(state='visible')
    page.get_by_test_id('run-reminders').click()
    page.get_by_text('reminders ran').wait_for(state='visible')
    page.wait_for_timeout(500)
    _no_sideways_scroll(page, width)
    page.screenshot(path=screenshots / f'staff-jobs-{width}.png', full_page=True)
    assert_accessible(page, f'/staff/jobs at {width}')

    page.goto('/staff/notifications')
    wait_connected(page)
    page.get_by_text('Notification outbox').wait_for(state='visible')
    page.get_by_text('Texts go through the "test" provider.', exact=False).wait_for(state='visible')
    _no_sideways_scroll(page, width)
    page.screenshot(path=screenshots / f'staff-notifications-{width}.png', full_page=True)
    assert_accessible(page, f'/staff/notifications at {width}')
    page.get_by_role('link', name='Pending', exact=False).first.click()
    wait_connected(page)
    page.get_by_text('Notification outbox').wait_for(state='visible')
    assert 'status=pending' in page.url
    assert_no_page_errors(page)
