"""The plan journey in Chromium: the demo patient, on a phone, sets up a plan with autopay on the saved
Visa card, watches the schedule follow the choice, signs, and sees the plan's progress; on a laptop the
same plan, and the staff plan page. Screenshots at 390 and 1280; axe checks every page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

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

pytestmark = pytest.mark.browser


def _no_sideways_scroll(page, width: int) -> None:  # noqa: ANN001
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width, 'the page scrolls sideways'


def _open_as(page, email: str, path: str) -> None:  # noqa: ANN001
    """Sign in, wait for the landing page, then open `path`."""
    open_sign_in(page)
    sign_in(page, email)
    if email == PATIENT:
        page.get_by_test_id('amount-due').wait_for(state='visible')
    else:
        page.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=15_000)
    page.goto(path)
    wait_connected(page)


def _finish(page, screenshots, name: str, label: str) -> None:  # noqa: ANN001
    page.screenshot(path=screenshots / f'{name}.png', full_page=True)
    assert_accessible(page, label)
    assert_no_page_errors(page)


def test_patient_sets_up_a_plan_with_autopay_and_sees_the_schedule(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    _open_as(page, PATIENT, '/plans')
    page.get_by_text('Set up a payment plan').wait_for(state='visible')

    page.get_by_label('Number of months').click()
    page.get_by_role('option', name='4 months', exact=True).click()
    summary = page.get_by_test_id('plan-summary')
    # the choice round-trips through the server before the schedule redraws: wait for it, don't read at once
    expect(summary).to_have_text(re.compile(r'^4 monthly payments of \$[\d,]+\.\d{2}'), timeout=15_000)
    expect(page.get_by_test_id('schedule').locator('li')).to_have_count(4, timeout=15_000)
    page.get_by_role('button', name='Monthly amount').click()
    page.get_by_label('Monthly amount ($)').fill('150')
    page.get_by_text('monthly payments of $150.00').wait_for(state='visible')
    page.get_by_role('button', name='Number of months').click()
    page.get_by_text('4 monthly payments').wait_for(state='visible')

    autopay = page.get_by_role('radio', name=re.compile('Autopay with Visa ending 4242'))
    assert autopay.get_attribute('aria-checked') == 'true', 'autopay with the saved card is the default'
    _no_sideways_scroll(page, PHONE[0])
    page.screenshot(path=screenshots / 'plan-setup-390.png', full_page=True)
    assert_accessible(page, '/plans set-up at 390x844')

    page.get_by_role('button', name='Sign and start the plan').click()
    page.get_by_text('Type the full name of the account holder').first.wait_for(state='visible')
    page.get_by_label('Type your full name to sign').fill('Maria Alvarez')
    page.get_by_role('checkbox', name='I agree to the payment plan terms above.').click()
    page.get_by_role('button', name='Sign and start the plan').click()

    page.get_by_role('heading', name='Your plan', exact=True).wait_for(state='visible')
    wait_connected(page)
    page.get_by_text('Autopay with Visa ending 4242: each payment is charged on its date.').wait_for()
    assert page.get_by_test_id('plan-schedule').locator('li').count() == 4
    assert re.search(r'\$[\d,]+\.\d{2}', page.get_by_test_id('next-payment').inner_text())
    _no_sideways_scroll(page, PHONE[0])
    # a payer whose method reads longer ("Autopay with Mastercard ending 4444") once pushed Save out of the card
    page.locator('.q-select').filter(has_text='How you pay').locator('.q-field__native span').first.evaluate(
        "element => { element.textContent = 'Autopay with Mastercard ending 4444 (and then some)' }")
    _no_sideways_scroll(page, PHONE[0])
    _finish(page, screenshots, 'plan-progress-390', '/plans progress at 390x844')

    laptop = new_page(*LAPTOP)
    _open_as(laptop, PATIENT, '/plans')
    laptop.get_by_role('heading', name='Your plan', exact=True).wait_for(state='visible')
    _finish(laptop, screenshots, 'plan-progress-1280', '/plans progress at 1280x800')


def test_staff_plan_page(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    _open_as(page, STAFF, '/staff/plans')
    page.get_by_text('Plan policy').wait_for(state='visible')
    page.get_by_text('Past due: needs attention').wait_for(state='visible')
    _finish(page, screenshots, 'staff-plans-1280', '/staff/plans at 1280x800')
