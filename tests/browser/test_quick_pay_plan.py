"""Quick pay for a plan payer in Chromium (issue 12 review), on a portal of its own (it signs a plan): the demo
patient signs a plan, then their statement's quick-pay code, signed out, asks for this month's installment
first and offers the whole amount due second. Screenshots at 390 and 1280; axe on each."""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_journeys import LAPTOP, PHONE, assert_no_page_errors, wait_connected
from tests.support.axe import assert_accessible
from tests.support.servers import ServerHandle, start_portal, wait_for_demo_data

pytestmark = pytest.mark.browser
SIGN = '''
from sqlmodel import select
from portal.auth.permissions import Actor
from portal.db import write_session
from portal.models import GuarantorAccount, User
from portal.services.plans import signing
with write_session() as session:
    account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
    user = session.exec(select(User).where(User.email == 'patient@example.com')).one()
    signing.create(session, Actor(user.id, 'patient'), account_id=account.id, day_of_month=1, months=6,
                   signed_name=f'{account.guarantor_first_name} {account.guarantor_last_name}', consent=True,
                   autopay_method_id=None)
'''


@pytest.fixture(scope='module')
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    server = start_portal(tmp_path_factory.mktemp('quick-pay-plan-portal'), PORTAL_PAYMENTS='demo')
    try:
        wait_for_demo_data(server)
        subprocess.run([sys.executable, '-c', SIGN], env={**os.environ, **server.env}, check=True,
                       cwd=Path(__file__).resolve().parents[2])
        yield server
    finally:
        server.stop()


def _guest_bill(server: ServerHandle) -> tuple[str, str]:
    path = server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///')
    with sqlite3.connect(path, timeout=10) as connection:
        return connection.execute(
            'SELECT s.quick_pay_code, p.date_of_birth FROM statement s JOIN patient p ON p.account_id = s.account_id '
            "JOIN guarantor_account a ON a.id = s.account_id WHERE a.account_number = 'A10002026' "
            'AND s.paid_at IS NULL ORDER BY s.statement_date DESC LIMIT 1').fetchone()


@pytest.mark.parametrize('size', [PHONE, LAPTOP], ids=['390', '1280'])
def test_quick_pay_asks_a_plan_payer_for_the_installment_first(new_page, portal_server: ServerHandle,
                                                               screenshots: Path, size: tuple[int, int]) -> None:
    code, birth = _guest_bill(portal_server)
    page = new_page(*size)
    page.goto(f'/pay?code={code}')
    wait_connected(page)
    page.get_by_label("Patient's date of birth").fill(birth)
    page.get_by_role('button', name='Find my bill').click()
    page.get_by_text('Your plan payment this month').wait_for(state='visible')
    installment = page.get_by_test_id('amount-due').inner_text()
    page.get_by_role('button', name=f'Pay {installment}', exact=True).wait_for(state='visible')
    page.get_by_role('button', name=re.compile(r'^Pay the whole amount due')).wait_for(state='visible')
    page.screenshot(path=screenshots / f'pay-guest-plan-{size[0]}.png', full_page=True)
    assert_accessible(page, f'guest pay on a plan at {size[0]}')
    assert_no_page_errors(page)
