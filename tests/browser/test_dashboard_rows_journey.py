"""Staff home -> the portal adoption tile -> the accounts behind it (1280x800), whose numerator is the tile's;
the same rows' second page on a phone (390x844)."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_journeys import LAPTOP, PHONE, STAFF, open_sign_in, sign_in, wait_connected
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def test_portal_adoption_opens_the_accounts_with_a_sign_in(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, STAFF)
    page.wait_for_url(re.compile(r'/staff(\?.*)?$'), timeout=10_000)
    wait_connected(page)
    tile = page.get_by_test_id('portal-adoption')
    tile.wait_for(state='visible')
    shown = tile.inner_text()  # '33.7%'
    tile.click()
    page.wait_for_url(re.compile(r'/staff/dashboard/rows\?.*figure=portal-adoption'), timeout=10_000)
    page.get_by_test_id('drill-figure').wait_for(state='visible')
    assert page.get_by_test_id('drill-figure').inner_text().startswith(f'{shown} = Accounts with a sign-in: ')
    page.screenshot(path=screenshots / 'staff-figure-rows-1280.png', full_page=False)
    assert_accessible(page, 'figure rows at 1280x800')
    query = page.url.split('?', 1)[1]
    page.set_viewport_size({'width': PHONE[0], 'height': PHONE[1]})
    page.goto(page.url.split('?', 1)[0] + f'?{query}&page_number=2')
    wait_connected(page)
    page.get_by_test_id('drill-figure').wait_for(state='visible')
    assert page.get_by_test_id('drill-figure').inner_text().startswith(f'{shown} = Accounts with a sign-in: ')
    page.screenshot(path=screenshots / 'staff-figure-rows-page-2-390.png', full_page=False)
    assert_accessible(page, 'figure rows, page 2, at 390x844')
