"""The demo patient on a phone opens Insurance claims, reads the claim that was denied because coverage had
ended, and presses its next step (update your insurance); the same pages on a laptop. Screenshots of the list
and the denied claim at 390 and 1280 land in test-artifacts/screenshots/; axe checks each."""
from __future__ import annotations

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
from tests.browser.test_statements_journey import assert_no_sideways_scroll
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def _open_denied_claim(page, screenshots, size: int) -> None:  # noqa: ANN001
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').first.wait_for(state='visible')  # home: signed in
    page.goto('/claims')
    wait_connected(page)
    denied = page.locator('a[data-testid^="claim-"]', has_text='Action needed')
    denied.wait_for(state='visible')
    assert_no_sideways_scroll(page, f'the claims list at {size} px')
    page.screenshot(path=screenshots / f'claims-list-{size}.png', full_page=True)
    assert_accessible(page, f'claims list at {size}')
    denied.click()
    page.wait_for_url('**/claims/*')
    wait_connected(page)
    page.get_by_test_id('next-step').wait_for(state='visible')
    assert 'coverage had ended' in page.get_by_test_id('next-step').inner_text()
    assert page.get_by_test_id('our-claim-number').inner_text().startswith('C')
    timeline = page.locator('h2:has-text("What happened") + ol > li')  # codes in plain words, each beside its date
    assert 'coverage had ended' in timeline.last.inner_text() and 'PR-27' not in timeline.last.inner_text()
    for row in range(timeline.count()):
        when, label = (timeline.nth(row).locator(':scope > span').nth(n).bounding_box() for n in (0, 1))
        assert abs(when['y'] - label['y']) < 2 and label['x'] > when['x'] + when['width'], \
            f'timeline row {row} at {size} px: its label dropped onto its own row'
    assert_no_sideways_scroll(page, f'the denied claim at {size} px')
    page.screenshot(path=screenshots / f'claim-denied-{size}.png', full_page=True)
    assert_accessible(page, f'denied claim at {size}')


def test_patient_reads_a_denied_claim_and_presses_its_next_step_on_a_phone(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    _open_denied_claim(page, screenshots, 390)
    page.get_by_role('button', name='Update your insurance').click()
    page.wait_for_url('**/insurance')
    assert_no_page_errors(page)


def test_claim_pages_on_a_laptop(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    _open_denied_claim(page, screenshots, 1280)
    assert_no_page_errors(page)
