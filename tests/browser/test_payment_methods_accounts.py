"""/payment-methods in Chromium for a parent with two linked accounts (on a portal of its own: the link
changes what the demo patient sees): an account picker, each account's own methods, nothing scrolls
sideways at 390; screenshots at 390 and 1280, axe on each."""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
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
from tests.support.axe import assert_accessible
from tests.support.servers import ServerHandle, start_portal, wait_for_demo_data

pytestmark = pytest.mark.browser


@pytest.fixture(scope='module')
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    server = start_portal(tmp_path_factory.mktemp('methods-portal'), PORTAL_PAYMENTS='demo')
    try:
        wait_for_demo_data(server)
        _link_a_second_account(server)
        yield server
    finally:
        server.stop()


def _link_a_second_account(server: ServerHandle) -> None:
    """The demo patient also becomes the parent on another account; each account gets a saved card."""
    path = server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///')
    with sqlite3.connect(path, timeout=10) as db:
        user_id, own = db.execute("SELECT u.id, a.account_id FROM user u JOIN account_access a ON a.user_id = u.id "
                                  'WHERE u.email = ?', (PATIENT,)).fetchone()
        other = db.execute('SELECT id FROM guarantor_account WHERE id != ? ORDER BY id LIMIT 1', (own,)).fetchone()[0]
        db.execute("INSERT INTO account_access (user_id, account_id, relationship, created_at) "
                   "VALUES (?, ?, 'parent', CURRENT_TIMESTAMP)", (user_id, other))
        for account_id, brand, last4 in ((own, 'visa', '1881'), (other, 'mastercard', '4444')):
            db.execute("INSERT INTO saved_payment_method (account_id, gateway, gateway_customer_id, gateway_method_id, "
                       "kind, brand, last4, exp_month, exp_year, bank_name, is_default, created_at) VALUES "
                       "(?, 'demo', ?, ?, 'card', ?, ?, 12, 2031, '', 0, CURRENT_TIMESTAMP)",
                       (account_id, f'cus_demo_{account_id}', f'pm_demo_browser_{account_id}', brand, last4))


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_two_accounts_pick_whose_methods(new_page, screenshots: Path, size: tuple[int, int]) -> None:  # noqa: ANN001
    width = size[0]
    page = new_page(*size)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').first.wait_for(state='visible')
    page.goto('/payment-methods')
    wait_connected(page)
    page.get_by_text('Visa ending 1881').wait_for(state='visible')
    page.get_by_role('button', name='Add a card or bank account').wait_for(state='visible')
    page.screenshot(path=screenshots / f'payment-methods-two-accounts-{width}.png', full_page=True)
    assert_accessible(page, f'saved methods, two accounts, at {width}')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    page.get_by_label('Account').click()
    page.get_by_role('option').nth(1).click()
    page.wait_for_url(re.compile(r'/payment-methods\?account=\d+'))
    wait_connected(page)
    page.get_by_text('Mastercard ending 4444').wait_for(state='visible')
    assert page.get_by_text('Visa ending 1881').count() == 0
    page.screenshot(path=screenshots / f'payment-methods-second-account-{width}.png', full_page=True)
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    assert_no_page_errors(page)
