"""The account desk on a laptop (issue 17): a clerk searches a dependent without her accent, opens the
account, writes a note and asks for an adjustment over the practice's limit; another admin (signing in with
a TOTP code) approves it from the queue, and the ledger shows it in words. Screenshots at 1280 (and the
account at 390); axe on each page."""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from tests.browser.test_journeys import LAPTOP, PHONE, STAFF, assert_no_page_errors, sign_in, wait_connected
from tests.support.axe import assert_accessible
from tests.support.servers import ServerHandle, start_portal, wait_for_demo_data

pytestmark = pytest.mark.browser
APPROVER = 'approver@example.com'
SECRET = pyotp.random_base32()


@pytest.fixture(scope='module')
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """This module's own portal: a second admin with two-step sign-in, and a $10.00 approval limit."""
    server = start_portal(tmp_path_factory.mktemp('desk-portal'), PORTAL_PAYMENTS='demo')
    try:
        wait_for_demo_data(server)
        database = Path(server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///'))
        with sqlite3.connect(database, timeout=30) as connection:
            connection.execute(
                "INSERT INTO user (email, password_hash, role, first_name, last_name, is_active, totp_secret, "
                "totp_enabled_at, mfa_exempt, failed_sign_ins, created_at) SELECT ?, password_hash, 'admin', 'Avery', "
                "'Admin', 1, ?, created_at, 0, 0, created_at FROM user WHERE email = ?", (APPROVER, SECRET, STAFF))
            connection.execute('UPDATE practice_settings SET adjustment_approval_limit = 1000')
        yield server
    finally:
        server.stop()


def _signed_in(page, email: str) -> None:  # noqa: ANN001
    page.goto('/')
    wait_connected(page)
    sign_in(page, email)


def _no_sideways_scroll(page, width: int) -> None:  # noqa: ANN001
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width


def test_search_a_dependent_note_adjust_over_the_limit_and_another_admin_approves(new_page, screenshots) -> None:  # noqa: ANN001
    clerk = new_page(*LAPTOP)
    _signed_in(clerk, STAFF)
    clerk.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)
    wait_connected(clerk)
    clerk.get_by_role('navigation', name='Main').get_by_role('link', name='Accounts').click()
    clerk.wait_for_url(re.compile(r'/staff/accounts$'))
    wait_connected(clerk)
    clerk.get_by_role('tablist', name='Worklists').wait_for(state='visible')
    clerk.screenshot(path=screenshots / 'staff-worklists-1280.png', full_page=True)
    assert_accessible(clerk, 'worklists at 1280x800')
    clerk.get_by_label('Name, date of birth, account number, MRN, phone or email').fill('sofia alvarez')
    clerk.get_by_role('button', name='Find').click()
    clerk.wait_for_url(re.compile(r'/staff/accounts\?q='))
    hit = clerk.get_by_test_id('hit').first
    hit.wait_for(state='visible')
    assert 'Sofía Alvarez' in hit.inner_text()
    clerk.screenshot(path=screenshots / 'staff-search-1280.png', full_page=True)
    assert_accessible(clerk, 'search results at 1280x800')
    hit.click()
    clerk.wait_for_url(re.compile(r'/staff/accounts/\d+$'))
    wait_connected(clerk)
    account_url = clerk.url
    clerk.get_by_text('Due now, and why').wait_for(state='visible')
    clerk.get_by_role('button', name='Add a note').click()
    clerk.get_by_role('textbox', name='Note').fill('Called about the June visit; asked for a hardship adjustment.')
    clerk.get_by_role('button', name='Add note').click()
    clerk.get_by_text('Called about the June visit').wait_for(state='visible')
    clerk.get_by_role('button', name='Adjust or write off').click()
    clerk.get_by_label('Amount', exact=True).fill('15.00')
    clerk.get_by_label('Reason').click()
    clerk.get_by_role('option', name='Financial hardship').click()
    clerk.get_by_role('button', name='Post adjustment').click()
    clerk.get_by_text('Waiting for approval').wait_for(state='visible')
    clerk.screenshot(path=screenshots / 'staff-account-1280.png', full_page=True)
    assert_accessible(clerk, 'account page at 1280x800')
    clerk.goto('/staff/accounts/new')
    wait_connected(clerk)
    clerk.get_by_role('button', name='Create account').wait_for(state='visible')
    clerk.screenshot(path=screenshots / 'staff-new-account-1280.png', full_page=True)
    assert_accessible(clerk, 'new account at 1280x800')
    assert_no_page_errors(clerk)

    admin = new_page(*LAPTOP)
    _signed_in(admin, APPROVER)
    admin.get_by_label('6-digit code').fill(pyotp.TOTP(SECRET).now())
    admin.get_by_role('button', name='Continue').click()
    admin.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)
    wait_connected(admin)
    admin.get_by_role('navigation', name='Main').get_by_role('link', name='Approvals').click()
    admin.wait_for_url(re.compile(r'/staff/approvals$'))
    wait_connected(admin)
    admin.get_by_text('Financial hardship').wait_for(state='visible')
    admin.screenshot(path=screenshots / 'staff-approvals-1280.png', full_page=True)
    assert_accessible(admin, 'approval queue at 1280x800')
    admin.get_by_role('button', name='Approve').first.click()
    admin.get_by_role('dialog').get_by_role('button', name='Approve').click()
    admin.get_by_text('Nothing is waiting for approval.').wait_for(state='visible')
    admin.goto(account_url)
    wait_connected(admin)
    row = admin.locator('tr', has_text='Financial hardship').first
    row.wait_for(state='visible')
    assert 'Adjustment' in row.inner_text() and '-$15.00' in row.inner_text().replace('−', '-')
    assert_no_page_errors(admin)

    phone = new_page(*PHONE)
    _signed_in(phone, STAFF)
    phone.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)
    phone.goto(account_url)
    wait_connected(phone)
    phone.get_by_text('Due now, and why').wait_for(state='visible')
    phone.screenshot(path=screenshots / 'staff-account-390.png', full_page=True)
    _no_sideways_scroll(phone, PHONE[0])
    phone.goto('/staff/accounts?q=alvarez')
    wait_connected(phone)
    phone.get_by_test_id('hit').first.wait_for(state='visible')
    phone.screenshot(path=screenshots / 'staff-search-390.png', full_page=True)
    _no_sideways_scroll(phone, PHONE[0])
