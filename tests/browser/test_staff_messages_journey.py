"""Staff work the message queue on a laptop (issue 14, item 2): open the queue from the navigation, open the
oldest waiting thread (beside the account), reply, and see the reply in the conversation; the same pages
on a phone stack the thread above the account. Screenshots of both sizes; axe on each page."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import (
    LAPTOP,
    PHONE,
    STAFF,
    assert_no_page_errors,
    open_sign_in,
    sign_in,
    wait_connected,
)
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def _staff_queue(page) -> None:  # noqa: ANN001
    open_sign_in(page)
    sign_in(page, STAFF)
    page.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)
    wait_connected(page)
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Messages').click()
    page.wait_for_url(re.compile(r'/staff/messages'))
    wait_connected(page)
    page.get_by_test_id('queue-row').first.wait_for(state='visible')


def test_staff_open_the_queue_open_a_thread_and_reply_on_a_laptop(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    _staff_queue(page)
    page.screenshot(path=screenshots / 'staff-messages-1280.png', full_page=True)
    assert_accessible(page, 'staff queue at 1280x800')
    page.get_by_test_id('queue-row').first.click()
    page.wait_for_url(re.compile(r'/staff/messages/\d+$'))
    wait_connected(page)
    context = page.get_by_label('Account', exact=True)
    thread = page.get_by_role('list', name='Messages')
    context.wait_for(state='visible')
    beside = context.bounding_box()['x'] > thread.bounding_box()['x'] + thread.bounding_box()['width'] - 1
    assert beside, 'on a laptop the account sits beside the thread'
    page.get_by_label('Reply', exact=True).fill('Thanks for asking: we corrected the charge today.')
    page.get_by_role('button', name='Send reply').click()
    thread.get_by_text('we corrected the charge today').wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-thread-1280.png', full_page=True)
    assert_accessible(page, 'staff thread at 1280x800')
    page.get_by_role('link', name='Open the account').click()  # and from the account, write first
    page.wait_for_url(re.compile(r'/staff/accounts/\d+$'))
    wait_connected(page)
    page.get_by_role('link', name='Write to the patient').click()
    page.wait_for_url(re.compile(r'/staff/messages/new\?account=\d+$'))
    wait_connected(page)
    page.get_by_label('Subject').wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-new-message-1280.png', full_page=True)
    assert_accessible(page, 'staff new message at 1280x800')
    assert_no_page_errors(page)


def test_on_a_phone_the_thread_and_the_account_stack(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)
    page.goto('/staff/messages')
    wait_connected(page)
    page.get_by_test_id('queue-row').first.wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-messages-390.png', full_page=True)
    page.get_by_test_id('queue-row').first.click()
    page.wait_for_url(re.compile(r'/staff/messages/\d+$'))
    wait_connected(page)
    context = page.get_by_label('Account', exact=True)
    thread = page.get_by_role('list', name='Messages')
    context.wait_for(state='visible')
    assert context.bounding_box()['y'] > thread.bounding_box()['y'], 'on a phone the account comes after the thread'
    page.screenshot(path=screenshots / 'staff-thread-390.png', full_page=True)
    assert_accessible(page, 'staff thread at 390x844')
    assert_no_page_errors(page)
