"""Payment journeys in Chromium, demo mode, on a portal of their own (they change balances): a signed-in
patient pays a statement with 4242 and sees the receipt and a lower balance; a guest pays with the
quick-pay code; a declined card shows a clear message and changes nothing. Screenshots at 390 and 1280
of /pay, the demo checkout, the receipt and saved methods; axe on each."""
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
SIZES = pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])


@pytest.fixture(scope='module')
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    server = start_portal(tmp_path_factory.mktemp('payments-portal'), PORTAL_PAYMENTS='demo')
    try:
        wait_for_demo_data(server)
        yield server
    finally:
        server.stop()


def _db(server: ServerHandle) -> sqlite3.Connection:
    return sqlite3.connect(server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///'), timeout=10)


def _balance(server: ServerHandle, account_number: str = 'A10002026') -> int:
    with _db(server) as connection:
        return connection.execute('SELECT COALESCE(SUM(l.amount), 0) FROM ledger_entry l JOIN guarantor_account a '
                                  'ON a.id = l.account_id WHERE a.account_number = ?', (account_number,)).fetchone()[0]


def _payments(server: ServerHandle) -> int:
    with _db(server) as connection:
        return connection.execute('SELECT COUNT(*) FROM payment').fetchone()[0]


def _demo_statement(server: ServerHandle) -> int | None:
    with _db(server) as connection:
        row = connection.execute('SELECT s.id FROM statement s JOIN guarantor_account a ON a.id = s.account_id '
                                 "WHERE a.account_number = 'A10002026' AND s.paid_at IS NULL AND s.amount_due > 0 "
                                 'ORDER BY s.statement_date DESC LIMIT 1').fetchone()
    return row[0] if row else None


def _guest_bill(server: ServerHandle) -> tuple[str, str, str]:
    with _db(server) as connection:
        return connection.execute(
            'SELECT s.quick_pay_code, p.date_of_birth, p.first_name FROM statement s '
            'JOIN patient p ON p.account_id = s.account_id JOIN guarantor_account a ON a.id = s.account_id '
            "WHERE s.paid_at IS NULL AND s.amount_due > 0 AND a.account_number != 'A10002026' "
            'AND s.waiting_for_insurance = 0 '  # a visit still with insurance may be all it owes: nothing to pay
            'AND (SELECT SUM(amount) FROM ledger_entry l WHERE l.account_id = s.account_id) > s.amount_due '
            'ORDER BY s.id DESC LIMIT 1').fetchone()


def _signed_in(new_page, size) -> object:  # noqa: ANN001
    page = new_page(*size)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    wait_connected(page)
    return page


def _card(page, number: str) -> None:  # noqa: ANN001
    page.wait_for_url(re.compile(r'/demo-checkout/'))
    wait_connected(page)
    page.get_by_label('Card number').fill(number)
    page.get_by_label('Expiry (MM/YY)').fill('12/30')
    page.get_by_label('CVC').fill('123')


def test_declined_card_shows_a_clear_message_and_changes_nothing(new_page, portal_server: ServerHandle,
                                                                 screenshots: Path) -> None:
    before, payments = _balance(portal_server), _payments(portal_server)
    page = _signed_in(new_page, PHONE)
    page.goto('/pay')
    wait_connected(page)
    page.get_by_text('A new card or bank account').click()
    page.get_by_role('button', name='Continue to payment').click()
    _card(page, '4000 0000 0000 0002')
    page.get_by_role('button', name=re.compile(r'^Pay \$')).click()
    page.get_by_text('Your card was declined').wait_for(state='visible')
    page.screenshot(path=screenshots / 'demo-checkout-declined-390.png', full_page=True)
    assert page.get_by_label('Card number').input_value() == ''  # the number does not stay on the page
    assert (_balance(portal_server), _payments(portal_server)) == (before, payments)
    assert_no_page_errors(page)


@pytest.mark.parametrize('size', [LAPTOP, PHONE], ids=['1280', '390'])
def test_patient_pays_a_statement_with_4242(new_page, screenshots: Path, portal_server: ServerHandle,
                                            size: tuple[int, int]) -> None:
    width = size[0]
    before = _balance(portal_server)
    page = _signed_in(new_page, size)
    page.get_by_role('link', name='Pay now').click()
    page.wait_for_url(re.compile(r'/pay'))
    # on the laptop another amount ($15.00); on the phone (afterwards) the latest statement
    statement = _demo_statement(portal_server) if width == PHONE[0] else None
    if statement is not None:
        page.goto(f'/pay?statement={statement}')
    wait_connected(page)
    page.get_by_role('button', name='Continue to payment').wait_for(state='visible')
    if statement is None:  # no open statement: pay another amount
        page.get_by_text('Another amount').click()
        page.get_by_label(re.compile('^Amount')).fill('15.00')
    page.get_by_text('A new card or bank account').click()
    page.screenshot(path=screenshots / f'pay-{width}.png', full_page=True)
    assert_accessible(page, f'pay page at {width}')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    page.get_by_role('button', name='Continue to payment').click()
    _card(page, '4242 4242 4242 4242')
    page.screenshot(path=screenshots / f'demo-checkout-{width}.png', full_page=True)
    assert_accessible(page, f'demo checkout at {width}')
    page.get_by_role('button', name=re.compile(r'^Pay \$')).click()
    page.wait_for_url(re.compile(r'/pay/done'))
    page.get_by_text('Payment received').wait_for(state='visible')
    page.get_by_test_id('receipt').wait_for(state='visible')
    page.screenshot(path=screenshots / f'receipt-{width}.png', full_page=True)
    assert_accessible(page, f'receipt at {width}')
    after = _balance(portal_server)
    assert after < before
    shown = page.get_by_test_id('balance-after').inner_text()
    assert shown == f'${after // 100:,}.{after % 100:02d}'
    assert_no_page_errors(page)


def test_guest_pays_with_the_quick_pay_code(new_page, portal_server: ServerHandle, screenshots: Path) -> None:
    code, birth, first_name = _guest_bill(portal_server)
    payments = _payments(portal_server)
    page = new_page(*PHONE)
    page.goto(f'/pay?code={code}')
    wait_connected(page)
    page.get_by_label("Patient's date of birth").fill(birth)
    page.get_by_role('button', name='Find my bill').click()
    page.get_by_text(f'Hi {first_name}.').wait_for(state='visible')
    page.screenshot(path=screenshots / 'pay-guest-390.png', full_page=True)
    assert_accessible(page, 'guest pay at 390')
    page.get_by_role('button', name=re.compile(r'^Pay \$')).click()
    _card(page, '4242424242424242')
    page.get_by_role('button', name=re.compile(r'^Pay \$')).click()
    page.get_by_text('Payment received').wait_for(state='visible')
    page.get_by_text('Email me a receipt').wait_for(state='visible')
    page.screenshot(path=screenshots / 'pay-guest-done-390.png', full_page=True)
    assert _payments(portal_server) == payments + 1
    assert_no_page_errors(page)


@SIZES
def test_saved_methods_page(new_page, screenshots: Path, size: tuple[int, int]) -> None:
    width = size[0]
    page = _signed_in(new_page, size)
    page.goto('/payment-methods')
    wait_connected(page)
    page.get_by_role('button', name='Add a card or bank account').wait_for(state='visible')
    page.screenshot(path=screenshots / f'payment-methods-{width}.png', full_page=True)
    assert_accessible(page, f'saved methods at {width}')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    assert_no_page_errors(page)


@SIZES
def test_payment_history_lists_cards_and_opens_a_receipt(new_page, screenshots: Path, portal_server: ServerHandle,
                                                         size: tuple[int, int]) -> None:
    width = size[0]
    with _db(portal_server) as connection:  # a refund with its reason, once, for the screenshots
        connection.execute("INSERT OR IGNORE INTO refund (payment_id, idempotency_key, amount, currency, reason, "
                           "status, created_at) SELECT MAX(p.id), 'browser-history-refund', 500, 'USD', "
                           "'Insurance paid', 'succeeded', '2026-11-20 05:15:00' FROM payment p JOIN guarantor_account "
                           "a ON a.id = p.account_id WHERE a.account_number = 'A10002026' AND p.status = 'succeeded'")
    page = _signed_in(new_page, size)
    if width < 1024:  # the navigation is a drawer on phones
        page.get_by_role('button', name='Open navigation').click()
    page.get_by_role('link', name='Payment history').click()
    page.wait_for_url(re.compile(r'/payments$'))
    wait_connected(page)
    cards = page.get_by_test_id('history-item')
    cards.first.wait_for(state='visible')
    page.get_by_text('Your insurance paid after you did').wait_for(state='visible')
    assert page.locator('table').count() == 0  # one card per payment, no wide table
    page.screenshot(path=screenshots / f'payment-history-{width}.png', full_page=True)
    assert_accessible(page, f'payment history at {width}')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    box = cards.first.bounding_box()
    assert box is not None and box['width'] <= width
    cards.first.click()
    page.wait_for_url(re.compile(r'/payments/\d+$'))
    wait_connected(page)
    page.get_by_test_id('receipt').wait_for(state='visible')
    page.get_by_role('link', name='Download receipt (PDF)').wait_for(state='visible')
    page.screenshot(path=screenshots / f'payment-receipt-{width}.png', full_page=True)
    assert_accessible(page, f'receipt page at {width}')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    assert_no_page_errors(page)
