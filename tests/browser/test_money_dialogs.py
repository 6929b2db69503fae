"""The money dialogs in Chromium at 390 and 1280: the patient confirms what a saved card will be charged
("Pay $4.60 with Visa ending 4242?") after a decimal comma was refused, and staff see the credit and a
second confirmation naming the balance a larger refund leaves. Both are cancelled: nothing changes."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.browser.test_journeys import (
    LAPTOP,
    PATIENT,
    PHONE,
    STAFF,
    assert_no_page_errors,
    open_sign_in,
    sign_in,
    wait_connected,
)
from tests.support.axe import assert_accessible
from tests.support.servers import ServerHandle

pytestmark = pytest.mark.browser
SIZES = pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])


def _demo_account(server: ServerHandle) -> tuple[int, int, int]:
    """(account id, balance, refunds) of the demo patient's account."""
    path = server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///')
    with sqlite3.connect(path, timeout=10) as db:
        account_id = db.execute("SELECT id FROM guarantor_account WHERE account_number = 'A10002026'").fetchone()[0]
        balance = db.execute('SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE account_id = ?',
                             (account_id,)).fetchone()[0]
        refunds = db.execute('SELECT COUNT(*) FROM refund').fetchone()[0]
    return account_id, balance, refunds


@SIZES
def test_the_patient_confirms_the_amount_read_before_a_saved_card_is_charged(
        new_page, portal_server: ServerHandle, screenshots: Path, size: tuple[int, int]) -> None:  # noqa: ANN001
    width = size[0]
    before = _demo_account(portal_server)
    page = new_page(*size)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    page.goto('/pay')
    wait_connected(page)
    page.get_by_text('Another amount').click()
    page.get_by_label(re.compile('^Amount')).fill('4,60')
    page.get_by_role('button', name='Continue to payment').click()
    page.get_by_text('Enter the amount like 4.60.').first.wait_for(state='visible')
    page.get_by_label(re.compile('^Amount')).fill('4.60')
    page.get_by_role('button', name='Continue to payment').click()
    question = page.get_by_text(re.compile(r'^Pay \$4\.60 with .+ ending \d{4}\?$'))
    question.wait_for(state='visible')
    page.wait_for_timeout(400)  # Quasar's dialog transition, for the screenshot
    page.screenshot(path=screenshots / f'pay-confirm-{width}.png')
    assert_accessible(page, f'pay confirmation at {width}')
    assert page.get_by_role('button', name='Pay $4.60').is_visible()
    page.get_by_role('button', name='Cancel').click()
    question.wait_for(state='detached')
    assert _demo_account(portal_server) == before
    assert_no_page_errors(page)


@SIZES
def test_staff_refund_dialog_shows_the_credit_and_asks_again_before_re_billing(
        new_page, portal_server: ServerHandle, screenshots: Path, size: tuple[int, int]) -> None:  # noqa: ANN001
    width = size[0]
    account_id, balance, refunds = before = _demo_account(portal_server)
    page = new_page(*size)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.wait_for_url(re.compile(r'/staff'))
    page.goto(f'/staff/accounts/{account_id}')
    wait_connected(page)
    page.get_by_role('button', name='Refund a payment').click()
    page.get_by_text(re.compile(r'^No credit on this account|^Account credit')).wait_for(state='visible')
    page.get_by_label('Amount to refund').fill('1.00')
    page.get_by_label('Reason', exact=True).click()
    page.get_by_text('Overpayment', exact=True).click()  # a menu, or on a phone a dialog of choices
    page.wait_for_timeout(400)
    page.screenshot(path=screenshots / f'staff-refund-dialog-{width}.png')
    assert_accessible(page, f'staff refund dialog at {width}')
    page.get_by_role('button', name='Refund', exact=True).click()
    page.get_by_text(re.compile(r'The balance becomes \$[\d,]+\.\d{2}, which the patient will owe again')) \
        .wait_for(state='visible')
    page.get_by_role('button', name=re.compile(r'^Refund and leave \$')).wait_for(state='visible')
    page.wait_for_timeout(400)
    page.screenshot(path=screenshots / f'staff-refund-confirm-{width}.png')
    assert_accessible(page, f'staff refund, second confirmation, at {width}')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    page.get_by_role('button', name='Cancel').click()
    page.get_by_label('Amount to refund').wait_for(state='detached')
    assert _demo_account(portal_server) == before and balance > 0 and refunds >= 0
    assert_no_page_errors(page)
