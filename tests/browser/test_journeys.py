"""Real-browser journeys in Debian's Chromium: the demo patient on a phone, the demo staff member on a
laptop, and sign-out. Every page visited is checked with axe-core (serious and critical violations
fail) and screenshots land in test-artifacts/screenshots/."""
from __future__ import annotations

import re

import pytest

from portal.config import DEFAULT_DEMO_PASSWORD
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser

PATIENT = 'patient@example.com'
STAFF = 'staff@example.com'
PHONE = (390, 844)
LAPTOP = (1280, 800)
DOLLARS = re.compile(r'\$\s?\d[\d,]*\.\d{2}')


def wait_connected(page) -> None:  # noqa: ANN001
    """NiceGUI pages act only once their socket has connected."""
    page.wait_for_load_state('load')
    page.wait_for_function('() => window.did_handshake === true', timeout=15_000)


def open_sign_in(page) -> None:  # noqa: ANN001
    page.goto('/')
    wait_connected(page)
    page.get_by_label('Email').wait_for(state='visible')


def sign_in(page, email: str, password: str = DEFAULT_DEMO_PASSWORD) -> None:  # noqa: ANN001
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password', exact=True).fill(password)
    page.get_by_role('button', name='Sign in').click()


def assert_in_viewport(page, locator, what: str) -> None:  # noqa: ANN001
    width, height = page.viewport_size['width'], page.viewport_size['height']
    box = locator.bounding_box()
    assert box is not None, f'{what} is not rendered'
    scrolled = page.evaluate('() => [window.scrollX, window.scrollY]')
    assert scrolled == [0, 0], f'the page is scrolled to {scrolled}; {what} must show without scrolling'
    inside = (box['x'] >= 0 and box['y'] >= 0 and box['x'] + box['width'] <= width
              and box['y'] + box['height'] <= height)
    assert inside, f'{what} at {box} is not entirely within the {width}x{height} viewport'


def assert_no_page_errors(page) -> None:  # noqa: ANN001
    assert not page.console_errors, f'uncaught errors in the page: {page.console_errors}'


def test_patient_on_a_phone_sees_amount_due_and_pay_now(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    open_sign_in(page)
    page.screenshot(path=screenshots / 'sign-in-390.png', full_page=True)
    assert_accessible(page, 'sign-in page at 390x844')

    sign_in(page, PATIENT)
    amount = page.get_by_test_id('amount-due')
    amount.wait_for(state='visible')
    wait_connected(page)
    pay_now = page.get_by_role('link', name='Pay now')
    pay_now.wait_for(state='visible')

    assert DOLLARS.search(amount.inner_text()), f'amount due shows {amount.inner_text()!r}, not a dollar amount'
    assert_in_viewport(page, amount, 'the amount due')
    assert_in_viewport(page, pay_now, 'the Pay now button')
    page.screenshot(path=screenshots / 'patient-home-390.png')
    assert_accessible(page, 'patient home at 390x844')
    assert_no_page_errors(page)


def test_patient_home_on_a_laptop(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    page.screenshot(path=screenshots / 'sign-in-1280.png', full_page=True)
    assert_accessible(page, 'sign-in page at 1280x800')

    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    wait_connected(page)
    assert_in_viewport(page, page.get_by_role('link', name='Pay now'), 'the Pay now button')
    page.screenshot(path=screenshots / 'patient-home-1280.png', full_page=True)
    assert_accessible(page, 'patient home at 1280x800')
    assert_no_page_errors(page)


def test_staff_home_shows_receivables_collections_and_a_chart(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.wait_for_load_state('load')
    page.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)  # staff land on /staff after signing in
    wait_connected(page)

    total_ar = page.get_by_test_id('total-ar')
    collected = page.get_by_test_id('collected-period')
    total_ar.wait_for(state='visible')
    collected.wait_for(state='visible')
    assert DOLLARS.search(total_ar.inner_text()), f'total A/R shows {total_ar.inner_text()!r}'
    assert DOLLARS.search(collected.inner_text()), f'collected in the period shows {collected.inner_text()!r}'
    page.locator('.js-plotly-plot').first.wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-home-1280.png', full_page=True)
    assert_accessible(page, 'staff home at 1280x800')
    # dashboard -> a bucket -> an account: the bucket's page totals to the figure that opened it
    bucket = page.get_by_test_id('aging-patient-0-30')
    figure = bucket.inner_text()
    bucket.click()
    page.wait_for_url(re.compile(r'/staff/dashboard/ar\?'), timeout=10_000)
    assert page.get_by_test_id('drill-total').inner_text() == figure
    page.screenshot(path=screenshots / 'staff-ar-bucket-1280.png', full_page=True)
    assert_accessible(page, 'A/R bucket at 1280x800')
    drill_url = page.url
    page.get_by_test_id('drill-table').get_by_role('link').first.click()
    page.wait_for_url(re.compile(r'/staff/accounts/\d+$'), timeout=10_000)
    assert_no_page_errors(page)
    # on a phone the dashboard and a bucket's table stay usable (the table scrolls inside its card)
    page.set_viewport_size({'width': PHONE[0], 'height': PHONE[1]})
    page.goto(drill_url)
    page.get_by_test_id('drill-total').wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-ar-bucket-390.png', full_page=True)
    page.goto(drill_url.split('/staff/dashboard/ar')[0] + '/staff')
    page.get_by_test_id('total-ar').wait_for(state='visible')
    page.locator('.js-plotly-plot').first.wait_for(state='visible')
    page.screenshot(path=screenshots / 'staff-home-390.png', full_page=True)
    assert page.evaluate('document.documentElement.scrollWidth') <= PHONE[0], 'the dashboard is wider than a phone'
    assert_accessible(page, 'staff home at 390x844')


def test_sign_out_returns_to_sign_in(new_page) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    wait_connected(page)

    page.get_by_role('button', name='Sign out').click()
    page.get_by_role('button', name='Sign in').wait_for(state='visible')
    page.get_by_label('Email').wait_for(state='visible')
    assert page.get_by_test_id('amount-due').count() == 0
    # Signed out for real: a fresh load of / is the sign-in page, not the patient home.
    page.goto('/')
    wait_connected(page)
    page.get_by_label('Email').wait_for(state='visible')
    assert page.get_by_test_id('amount-due').count() == 0
    assert_accessible(page, 'sign-in page after signing out')


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_registration_forgot_password_and_profile_pages(new_page, screenshots, size) -> None:  # noqa: ANN001
    """The other pages of the foundation, at both sizes: accessible, and no sideways scrolling on a phone."""
    page = new_page(*size)
    width = size[0]
    for path, heading, name in (('/register', 'Create your account', 'register'),
                                ('/forgot', 'Reset your password', 'forgot-password')):
        page.goto(path)
        wait_connected(page)
        page.get_by_text(heading).first.wait_for(state='visible')
        assert page.evaluate('() => document.documentElement.scrollWidth') <= width
        page.screenshot(path=screenshots / f'{name}-{width}.png', full_page=True)
        assert_accessible(page, f'{path} at {width}')

    page.goto('/register')
    wait_connected(page)
    page.get_by_role('button', name='Create account').click()
    page.get_by_text('Enter the account number.').wait_for(state='visible')
    page.wait_for_timeout(400)  # let Quasar's fade-in of the messages finish before the picture
    page.screenshot(path=screenshots / f'register-errors-{width}.png', full_page=True)

    page.goto('/')
    wait_connected(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    page.goto('/profile')
    wait_connected(page)
    page.get_by_text('Billing accounts').wait_for(state='visible')
    assert page.evaluate('() => document.documentElement.scrollWidth') <= width
    page.screenshot(path=screenshots / f'profile-{width}.png', full_page=True)
    assert_accessible(page, f'/profile at {width}')
    assert_no_page_errors(page)
