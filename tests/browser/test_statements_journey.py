"""The demo patient on a phone opens their latest statement from home, reads it without sideways
scrolling, and opens its PDF; the same pages on a laptop. Screenshots of the list and the detail
at 390 and 1280 land in test-artifacts/screenshots/."""
from __future__ import annotations

import pytest

from tests.browser.test_journeys import (
    DOLLARS,
    LAPTOP,
    PATIENT,
    PHONE,
    STAFF,
    assert_in_viewport,
    assert_no_page_errors,
    open_sign_in,
    sign_in,
    wait_connected,
)
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def assert_no_sideways_scroll(page, what: str) -> None:  # noqa: ANN001
    widths = page.evaluate('() => [document.documentElement.scrollWidth, window.innerWidth]')
    assert widths[0] <= widths[1], f'{what} scrolls sideways: content {widths[0]} px wide in a {widths[1]} px window'


def _open_latest_statement(page) -> str:  # noqa: ANN001
    open_sign_in(page)
    sign_in(page, PATIENT)
    link = page.get_by_test_id('latest-statement')
    link.wait_for(state='visible')
    href = link.get_attribute('href')
    link.click()
    page.wait_for_url(f'**{href}')
    wait_connected(page)
    return href


def test_patient_opens_a_statement_and_its_pdf_on_a_phone(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    href = _open_latest_statement(page)
    amount = page.get_by_test_id('amount-due')
    amount.wait_for(state='visible')
    assert DOLLARS.search(amount.inner_text())
    assert_in_viewport(page, amount, 'the amount due')
    pay = page.get_by_role('link', name='Pay now')
    assert pay.get_attribute('href') == f'/pay?statement={href.rsplit("/", 1)[1]}'
    assert_in_viewport(page, pay, 'the Pay now button')
    page.get_by_text('Insurance paid').first.wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the statement at 390 px')
    page.screenshot(path=screenshots / 'statement-detail-390.png', full_page=True)
    assert_accessible(page, 'statement detail at 390x844')

    pdf_link = page.get_by_role('link', name='Download PDF')
    pdf_href = pdf_link.get_attribute('href')
    response = page.request.get(pdf_href)  # the browser context's cookies: the signed-in patient
    assert response.status == 200 and response.headers['content-type'] == 'application/pdf'
    assert response.body().startswith(b'%PDF')
    with page.context.expect_page() as opened:
        pdf_link.click()
    assert opened.value.url.endswith(pdf_href)

    page.goto('/statements')
    wait_connected(page)
    page.locator('[href^="/statements/"]').first.wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the statement list at 390 px')
    page.screenshot(path=screenshots / 'statement-list-390.png', full_page=True)
    assert_accessible(page, 'statement list at 390x844')
    assert_no_page_errors(page)


def test_statement_pages_on_a_laptop(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    _open_latest_statement(page)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the statement at 1280 px')
    page.screenshot(path=screenshots / 'statement-detail-1280.png', full_page=True)
    page.get_by_role('button', name='Ask about this charge').first.click()
    question = page.get_by_label('Your question')
    question.wait_for(state='visible')
    question.fill('What is this charge for?')
    page.screenshot(path=screenshots / 'statement-ask-1280.png')
    page.get_by_role('button', name='Send').click()
    page.wait_for_url('**/messages/*')
    wait_connected(page)
    page.get_by_text('What is this charge for?').wait_for(state='visible')
    page.screenshot(path=screenshots / 'charge-question-thread-1280.png', full_page=True)
    assert_accessible(page, 'charge question thread at 1280x800')
    page.get_by_role('link', name='Back to the statement').click()
    wait_connected(page)
    page.get_by_role('link', name='Question open — see the conversation').wait_for(state='visible')
    page.goto('/statements')
    wait_connected(page)
    page.locator('[href^="/statements/"]').first.wait_for(state='visible')
    page.screenshot(path=screenshots / 'statement-list-1280.png', full_page=True)
    assert_accessible(page, 'statement list at 1280x800')
    assert_no_page_errors(page)


def test_staff_statement_runs_page(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.wait_for_url('**/staff')
    page.goto('/staff/statement-runs')
    wait_connected(page)
    page.get_by_role('button', name='Start a statement run').wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-statement-runs-1280.png', full_page=True)
    assert_accessible(page, 'staff statement runs at 1280x800')
    assert_no_page_errors(page)
