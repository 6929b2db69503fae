"""Ids taken from the URL: anything but a plain id of up to 18 digits, and any id the visitor may not
open, is the standard 404 page (never a 500 or a logged error)."""
from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session
from portal.models import GuarantorAccount, Statement
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in

ODD = ('²', '99999999999999999999', '١٢', '-1', '+1', ' 1', '1.0', '0x1')


async def _not_found(user: User, path: str) -> None:
    response = await user.http_client.get(path, follow_redirects=False)
    assert response.status_code == 404, path
    assert 'Page not found' in response.text, path


@pytest.mark.parametrize('odd', ODD)
async def test_odd_ids_on_patient_pages_are_not_found(user: User, odd: str) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    for path in (f'/statements/{odd}', f'/documents/statements/{odd}.pdf', f'/documents/receipts/{odd}.pdf',
                 f'/messages/{odd}', f'/pay?statement={odd}', f'/pay?account={odd}',
                 f'/payment-methods?account={odd}'):
        await _not_found(user, path)


@pytest.mark.parametrize('odd', ODD)
async def test_odd_ids_on_staff_pages_are_not_found(user: User, odd: str) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await _not_found(user, f'/staff/accounts/{odd}')


def _someone_elses() -> tuple[int, int]:
    """(a statement, an account) the demo patient has no access to."""
    with read_session() as session:
        mine = session.exec(select(GuarantorAccount.id).where(GuarantorAccount.account_number == 'A10002026')).one()
        statement = session.exec(select(Statement.id).where(Statement.account_id != mine)).first()
        account = session.exec(select(GuarantorAccount.id).where(GuarantorAccount.id != mine)).first()
    return statement, account


async def test_changed_ids_on_the_pay_page_are_not_found(user: User) -> None:
    statement, account = _someone_elses()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    for path in (f'/pay?statement={statement}', '/pay?statement=987654321', f'/pay?account={account}',
                 '/pay?account=987654321', f'/payment-methods?account={account}'):
        await _not_found(user, path)
    assert (await user.http_client.get('/pay')).status_code == 200


async def test_a_missing_account_is_not_found_for_staff(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await _not_found(user, '/staff/accounts/987654321')


def test_parse_id_takes_plain_ascii_ids_only() -> None:
    from components.page import parse_id
    assert parse_id('12') == 12 and parse_id('007') == 7 and parse_id('9' * 18) == int('9' * 18)
    for odd in (*ODD, '', '9' * 19, '1\n', None):
        assert parse_id(odd) is None, odd
