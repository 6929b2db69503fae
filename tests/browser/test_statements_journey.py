"""The demo patient on a phone opens their latest statement from home, reads it without sideways
scrolling, and opens its PDF; the same pages on a laptop. Screenshots of the list and the detail
at 390 and 1280 land in test-artifacts/screenshots/."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

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
from tests.factories import STRONG_PASSWORD
from tests.support.axe import assert_accessible
from tests.support.due_data import build, pay_by_check

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
    thread_path = '/' + page.url.split('/', 3)[3].split('?')[0]
    wait_connected(page)
    page.get_by_text('What is this charge for?').wait_for(state='visible')
    page.screenshot(path=screenshots / 'charge-question-thread-1280.png', full_page=True)
    assert_accessible(page, 'charge question thread at 1280x800')
    page.get_by_role('link', name='Back to the statement').click()
    wait_connected(page)
    # this line's link now leads to the new thread (older lines may have open questions of their own)
    page.locator(f'a[href="{thread_path}"]', has_text='Question open — see the conversation') \
        .wait_for(state='visible')
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


SHOTS = Path('/work/wt/shots/due')  # looked at by hand; also kept beside the other screenshots


def _shot(page, screenshots, name: str) -> None:  # noqa: ANN001
    page.screenshot(path=screenshots / f'{name}.png', full_page=True)
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SHOTS / f'{name}.png', full_page=True)


def _visit(page, path: str, text: str) -> None:  # noqa: ANN001
    page.goto(path)
    wait_connected(page)
    page.get_by_text(text).first.wait_for(state='visible')


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_what_is_due_for_a_visit_with_insurance_and_for_a_plan_payer(new_page, portal_server, screenshots,  # noqa: ANN001
                                                                     size: tuple[int, int]) -> None:
    """Issue 12 at 390 px (and 1280): the visit still with insurance is waiting, not due; the plan payer sees
    this month's installment, a statement that is not overdue, what is still open and "View your plan"; and
    each one's payment history (a check, part of one refunded with its reason in plain words) and receipt."""
    database = portal_server.env['PORTAL_DATABASE_URL']
    households = build(database, tag=str(size[0]))
    width = size[0]
    page = new_page(*size)
    open_sign_in(page)
    sign_in(page, households.pending_email, STRONG_PASSWORD)
    page.get_by_text('Waiting for insurance: $155.00').wait_for(state='visible')
    assert page.get_by_test_id('amount-due').inner_text() == '$50.00'
    _shot(page, screenshots, f'due-pending-home-{width}')
    page.get_by_test_id('latest-statement').click()
    page.get_by_text('Not due until your insurance pays its part.').wait_for(state='visible')  # the Waiting line
    assert page.get_by_test_id('amount-due').inner_text() == '$50.00'
    assert_no_sideways_scroll(page, f'the statement with a visit still with insurance at {width} px')
    _shot(page, screenshots, f'due-pending-statement-{width}')
    _save_pdf(page, '/documents' + urlparse(page.url).path + '.pdf', screenshots / f'due-pending-statement-{width}.pdf')
    _visit(page, '/pay', 'is waiting for insurance')
    page.get_by_role('radio', name='Full amount due · $50.00').wait_for(state='visible')
    _shot(page, screenshots, f'due-pending-pay-{width}')
    pay_by_check(database, account_id=households.pending_account, amount='70.00', check='2231', refund='20.00',
                 reason='Overpayment')
    _payment_history(page, 'Check', '$70.00', f'due-pending-payments-{width}', screenshots)
    page.get_by_text('You paid more than you owed, so we sent the extra back.').first.wait_for(state='visible')
    assert_no_page_errors(page)

    payer = new_page(*size)
    open_sign_in(payer)
    sign_in(payer, households.plan_email, STRONG_PASSWORD)
    payer.get_by_text(re.compile(r'Next plan payment \$2\d\d\.\d\d')).wait_for(state='visible')
    assert payer.get_by_text('Overdue').count() == 0
    _shot(payer, screenshots, f'due-plan-home-{width}')
    payer.get_by_test_id('latest-statement').click()
    payer.get_by_text('Still open from earlier statements').wait_for(state='visible')
    assert payer.get_by_role('button', name='Ask about this charge').count() == 1
    assert payer.get_by_role('link', name='View your plan').count() == 1
    assert payer.get_by_role('link', name='Set up a payment plan').count() == 0
    assert_no_sideways_scroll(payer, f'the plan payer\'s statement at {width} px')
    if width == PHONE[0]:
        assert_in_viewport(payer, payer.get_by_test_id('amount-due'), 'the installment due')
        assert_accessible(payer, 'statement with earlier open charges at 390x844')
    _shot(payer, screenshots, f'due-plan-statement-{width}')
    _save_pdf(payer, '/documents' + urlparse(payer.url).path + '.pdf', screenshots / f'due-plan-statement-{width}.pdf')
    _visit(payer, '/pay', "This month's installment")
    installment = payer.get_by_role('radio', name=re.compile(r"This month's installment · \$2\d\d\.\d\d"))
    assert installment.get_attribute('aria-checked') == 'true'
    payer.get_by_text(re.compile(r'Your balance is \$[\d,]+\.\d\d')).wait_for(state='visible')  # named, one figure
    assert payer.get_by_text('whole balance').count() == 0
    payer.get_by_role('radio', name=re.compile(r'Everything due now · \$')).wait_for(state='visible')
    _shot(payer, screenshots, f'due-plan-pay-{width}')
    pay_by_check(database, account_id=households.plan_account, amount='240.44', check='1042')
    _payment_history(payer, 'Check', '$240.44', f'due-plan-payments-{width}', screenshots)
    assert_no_page_errors(payer)


def _payment_history(page, method: str, amount: str, name: str, screenshots: Path) -> None:  # noqa: ANN001
    """/payments, reached from the navigation, lists the payment; its receipt page opens from it."""
    page.goto('/')
    wait_connected(page)
    navigation = page.get_by_role('link', name='Payment history')
    if not navigation.first.is_visible():  # on a phone the navigation is behind the menu button
        page.get_by_role('button', name='Open navigation').click()
    navigation.first.click()
    page.wait_for_url('**/payments')
    wait_connected(page)
    page.get_by_text(method).first.wait_for(state='visible')
    page.get_by_text(amount).first.wait_for(state='visible')
    assert_no_sideways_scroll(page, f'payment history ({name})')
    _shot(page, screenshots, name)
    page.locator('a[href^="/payments/"]').first.click()
    page.wait_for_url(re.compile(r'/payments/\d+$'))
    wait_connected(page)
    page.get_by_text(method).first.wait_for(state='visible')
    assert_no_sideways_scroll(page, f'the receipt ({name})')
    _shot(page, screenshots, f'{name}-receipt')
    receipt = urlparse(page.url).path.replace('/payments/', '/documents/receipts/')
    _save_pdf(page, f'{receipt}.pdf', screenshots / f'{name}-receipt.pdf')


def _save_pdf(page, path: str, where: Path) -> None:  # noqa: ANN001
    """The signed-in person's PDF at `path`, kept beside the screenshots (rendered and looked at by hand)."""
    answer = page.request.get(path)
    assert answer.status == 200 and answer.body().startswith(b'%PDF'), (path, answer.status)
    where.write_bytes(answer.body())
