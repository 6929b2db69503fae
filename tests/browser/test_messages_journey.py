"""Patient messaging in a real browser: on a phone (390 px) the demo patient asks about a charge from their
latest statement and finds the conversation in the inbox through the navigation; the inbox, a new message and
a thread pass axe at 390x844 and 1280x800. Screenshots land in test-artifacts/screenshots/ (and in
PORTAL_SHOTS_DIR when set)."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.browser.test_journeys import (
    LAPTOP,
    PATIENT,
    PHONE,
    assert_no_page_errors,
    open_sign_in,
    sign_in,
    wait_connected,
)
from tests.browser.test_statements_journey import assert_no_sideways_scroll
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def _shot(page, screenshots: Path, name: str) -> None:  # noqa: ANN001
    path = screenshots / name
    page.screenshot(path=path, full_page=True)
    extra = os.environ.get('PORTAL_SHOTS_DIR')
    if extra:
        shutil.copy(path, Path(extra) / name)


def test_patient_on_a_phone_asks_about_a_charge_and_finds_it_in_the_inbox(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('latest-statement').click()
    page.wait_for_url('**/statements/*')
    wait_connected(page)
    page.get_by_role('button', name='Ask about this charge').first.click()
    page.get_by_label('Your question').fill('Phone question: what is this charge for?')
    page.get_by_role('button', name='Send').click()
    page.wait_for_url('**/messages/*')
    wait_connected(page)
    page.get_by_text('Phone question: what is this charge for?').wait_for(state='visible')
    page.get_by_test_id('expected-reply').wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the thread at 390 px')
    _shot(page, screenshots, 'messages-thread-390.png')
    assert_accessible(page, 'message thread at 390x844')

    page.get_by_role('button', name='Open navigation').click()
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Messages').click()
    page.wait_for_url('**/messages')
    wait_connected(page)
    row = page.locator('[data-testid^="thread-"]').first
    row.wait_for(state='visible')
    assert 'Phone question: what is this charge for?' in row.inner_text()  # the newest, first
    assert 'Billing question' in row.inner_text() and 'Expected reply by' in row.inner_text()
    assert_no_sideways_scroll(page, 'the inbox at 390 px')
    _shot(page, screenshots, 'messages-inbox-390.png')
    assert_accessible(page, 'inbox at 390x844')

    page.get_by_role('link', name='New message').click()
    page.wait_for_url('**/messages/new')
    wait_connected(page)
    page.get_by_label('Subject').wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the new message form at 390 px')
    _shot(page, screenshots, 'messages-new-390.png')
    assert_accessible(page, 'new message at 390x844')

    # a refused body: its long error takes its own lines, above the next field (it once overlapped its label)
    page.get_by_label('What is it about?').click()
    page.get_by_role('option').first.click()
    page.get_by_label('Subject').fill('S' * 100)  # one long word, in the subject and the body
    page.get_by_label('Your message').fill('hello\x00world')
    page.get_by_role('button', name='Send message').click()
    error = page.locator('.q-field--error .q-field__messages').first
    error.wait_for(state='visible')
    below = page.get_by_text('Is it about one of these? (optional)').bounding_box()
    assert error.bounding_box()['y'] + error.bounding_box()['height'] <= below['y'], 'the error overlaps the next field'
    page.get_by_label('Your message').fill('x' * 5000)
    page.get_by_role('button', name='Send message').click()
    page.wait_for_url(re.compile(r'.*/messages/\d+$'))
    page.goto('/messages')
    wait_connected(page)
    page.locator('[data-testid^="thread-"]').first.wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the inbox with a one-word message at 390 px')
    assert_no_page_errors(page)


def test_messaging_pages_on_a_laptop(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    page.get_by_test_id('messages-link').click()
    page.wait_for_url('**/messages')
    wait_connected(page)
    page.locator('[data-testid^="thread-"]').first.wait_for(state='visible')
    _shot(page, screenshots, 'messages-inbox-1280.png')
    assert_accessible(page, 'inbox at 1280x800')
    page.locator('[data-testid^="thread-"]').first.click()
    page.wait_for_url('**/messages/*')
    wait_connected(page)
    page.get_by_label('Your reply').wait_for(state='visible')
    _shot(page, screenshots, 'messages-thread-1280.png')
    assert_accessible(page, 'message thread at 1280x800')
    page.goto('/messages/new')
    wait_connected(page)
    page.get_by_label('Subject').wait_for(state='visible')
    _shot(page, screenshots, 'messages-new-1280.png')
    assert_accessible(page, 'new message at 1280x800')
    assert_no_page_errors(page)


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_a_refused_file_holds_the_new_message_until_it_is_removed(new_page, screenshots, size) -> None:  # noqa: ANN001
    from tests.support import uploads
    page = new_page(*size)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    page.goto('/messages/new')
    wait_connected(page)
    page.get_by_label('What is it about?').click()
    page.get_by_role('option').first.click()
    page.get_by_label('Subject').fill('My bill')
    page.get_by_label('Your message').fill('The bill is attached.')
    page.locator('input[type=file]').first.set_input_files(
        {'name': 'evil.jpg', 'mimeType': 'image/jpeg', 'buffer': uploads.executable()})
    page.get_by_text('evil.jpg: not attached').wait_for(state='visible')
    page.get_by_role('button', name='Send message').click()
    page.get_by_text('"evil.jpg" could not be attached, so the message was not sent').wait_for(state='visible')
    assert page.url.endswith('/messages/new')
    assert_no_sideways_scroll(page, 'the held message')
    _shot(page, screenshots, f'messages-new-refused-file-{size[0]}.png')
    assert_accessible(page, f'new message with a refused file at {size[0]}')
    page.get_by_role('button', name='Remove evil.jpg (not attached)').click()
    page.get_by_role('button', name='Send message').click()
    page.wait_for_url(re.compile(r'.*/messages/\d+$'))
    assert_no_page_errors(page)
