"""Remittances in a real browser at 1280x800: staff open Remittances from the navigation, upload an 835
whose claim number was mistyped by the payer, open the import and match the claim by hand; the list and
the detail pass axe. Also a look at the list on a phone (390x844). Screenshots in test-artifacts/screenshots/."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session

from tests.browser.test_journeys import (
    LAPTOP,
    PHONE,
    STAFF,
    assert_no_page_errors,
    open_sign_in,
    sign_in,
    wait_connected,
)
from tests.browser.test_messages_journey import _shot
from tests.browser.test_statements_journey import assert_no_sideways_scroll
from tests.support.axe import assert_accessible
from tests.support.remits import paying_a_seeded_claim

pytestmark = pytest.mark.browser


def _era(portal_server, tmp_path: Path) -> tuple[Path, str]:  # noqa: ANN001
    engine = create_engine(portal_server.env['PORTAL_DATABASE_URL'])
    try:
        with Session(engine) as session:
            data, number, _ = paying_a_seeded_claim(session, sent_as='PAYER-TYPO-7', trace='BROWSER-1')
    finally:
        engine.dispose()
    path = tmp_path / 'acme-era.835'
    path.write_bytes(data)
    return path, number


def test_staff_upload_an_835_and_match_a_claim_by_hand(new_page, portal_server, screenshots: Path,  # noqa: ANN001
                                                       tmp_path: Path) -> None:
    era, number = _era(portal_server, tmp_path)
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Remittances').click()
    page.wait_for_url('**/staff/remittances')
    wait_connected(page)
    page.get_by_role('heading', name='Insurance remittances').wait_for(state='visible')
    page.locator('.q-uploader input[type=file]').first.set_input_files(str(era))
    page.get_by_text('imported: 0 of 1 claims matched, 1 not matched').wait_for(state='visible')
    _shot(page, screenshots, 'staff-remittances-1280.png')
    assert_accessible(page, 'remittances at 1280x800')
    page.get_by_role('link', name='BROWSER-1', exact=True).click()  # the trace number in the list
    page.get_by_role('heading', name='Not matched').wait_for(state='visible')
    page.get_by_role('button', name='Match by hand').click()
    page.get_by_label('The practice’s claim number').fill(number)
    _shot(page, screenshots, 'staff-remittance-match-1280.png')
    page.get_by_role('button', name='Match and post').click()
    page.get_by_text('Matched by hand').first.wait_for(state='visible')
    assert page.get_by_role('heading', name='Not matched').count() == 0
    _shot(page, screenshots, 'staff-remittance-detail-1280.png')
    assert_accessible(page, 'remittance detail at 1280x800')
    assert_no_page_errors(page)


def test_the_remittance_list_fits_a_phone(new_page, screenshots: Path) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.get_by_role('button', name='Open navigation').click()
    page.get_by_role('navigation', name='Main').get_by_role('link', name='Remittances').click()
    page.wait_for_url('**/staff/remittances')
    wait_connected(page)
    page.get_by_role('heading', name='Insurance remittances').wait_for(state='visible')
    assert_no_sideways_scroll(page, 'remittances at 390 px')
    _shot(page, screenshots, 'staff-remittances-390.png')
    assert_no_page_errors(page)
