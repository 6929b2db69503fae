"""Insurance in a real browser: on a phone (390 px) the demo patient finds Insurance in the navigation,
adds a photo of the front of their card and changes their plan (now "We are checking this"); on a
laptop the office sees the change in its queue and verifies it. Both pages pass axe at 390x844 and
1280x800. Screenshots land in test-artifacts/screenshots/ (and in PORTAL_SHOTS_DIR when set)."""
from __future__ import annotations

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
from tests.browser.test_messages_journey import _shot
from tests.browser.test_statements_journey import assert_no_sideways_scroll
from tests.support import uploads
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def test_patient_on_a_phone_updates_insurance_with_a_card_photo(new_page, screenshots: Path,  # noqa: ANN001
                                                                 tmp_path: Path) -> None:
    page = new_page(*PHONE)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    page.get_by_role('button', name='Open navigation').click()
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Insurance').click()
    page.wait_for_url('**/insurance')
    wait_connected(page)
    page.get_by_text('Primary: Blue Prairie Health').first.wait_for(state='visible')
    assert_no_sideways_scroll(page, 'insurance at 390 px')
    assert_accessible(page, 'insurance at 390x844')

    card = tmp_path / 'card-front.png'
    card.write_bytes(uploads.png((320, 200)))
    first = page.locator('.q-uploader').first
    assert first.locator('input[type=file]').get_attribute('capture') == 'environment'
    first.locator('input[type=file]').set_input_files(str(card))
    page.get_by_role('img', name='Photo of the front of your insurance card').first.wait_for(state='visible')

    page.get_by_role('button', name='Change').first.click()
    page.get_by_label('Plan name').fill('Gold HMO')
    page.get_by_role('button', name='Save').click()
    page.get_by_text('We are checking this').first.wait_for(state='visible')
    assert_no_sideways_scroll(page, 'insurance after a change at 390 px')
    _shot(page, screenshots, 'insurance-390.png')
    assert_accessible(page, 'insurance after a change at 390x844')
    assert_no_page_errors(page)


def test_the_office_verifies_the_change_on_a_laptop(new_page, screenshots: Path) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Insurance queue').click()
    page.wait_for_url('**/staff/insurance')
    wait_connected(page)
    page.get_by_role('heading', name='Insurance verification').wait_for(state='visible')
    _shot(page, screenshots, 'staff-insurance-1280.png')
    assert_accessible(page, 'insurance queue at 1280x800')
    waiting = page.get_by_role('button', name='Verify')
    if waiting.count():
        waiting.first.click()
        page.get_by_text('Verified.', exact=True).first.wait_for(state='visible')
    assert_no_page_errors(page)


def test_insurance_on_a_laptop(new_page, screenshots: Path) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').wait_for(state='visible')
    page.goto('/insurance')
    wait_connected(page)
    page.get_by_text('Primary: Blue Prairie Health').first.wait_for(state='visible')
    _shot(page, screenshots, 'insurance-1280.png')
    assert_accessible(page, 'insurance at 1280x800')
    assert_no_page_errors(page)
