"""Profile: the linked accounts, and changing the password."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.auth.passwords import verify_password
from portal.db import read_session
from portal.models import AccountAccess, GuarantorAccount
from portal.models import User as UserRow
from tests.pages.conftest import DEMO_PATIENT, PASSWORD, sign_in

NEW = 'saffron-bicycle-lagoon-31'


def _password_hash() -> str:
    with read_session() as session:
        return session.exec(select(UserRow.password_hash).where(UserRow.email == DEMO_PATIENT)).one()


def _linked_accounts() -> list[tuple[str, str, str]]:
    """(account number, guarantor's last name, relationship) for each account the demo patient is linked to."""
    with read_session() as session:
        rows = session.exec(select(GuarantorAccount.account_number, GuarantorAccount.guarantor_last_name,
                                   AccountAccess.relationship)
                            .join(AccountAccess, AccountAccess.account_id == GuarantorAccount.id)
                            .join(UserRow, UserRow.id == AccountAccess.user_id)
                            .where(UserRow.email == DEMO_PATIENT)).all()
    return [tuple(row) for row in rows]


async def test_profile_lists_the_linked_accounts(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/profile')
    await user.should_see('Billing accounts')
    await user.should_see(DEMO_PATIENT)
    linked = _linked_accounts()
    assert linked, 'the demo patient is linked to an account'
    labels = [label.text for label in user.find(ui.label).elements]
    for number, last_name, relationship in linked:
        [line] = [text for text in labels if text.startswith(f'{number} · ')]
        assert last_name in line and line.endswith(f' · {relationship}'), line


async def test_a_wrong_current_password_changes_nothing_and_the_right_one_does(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/profile')
    await user.should_see('Change password')
    before = _password_hash()

    user.find(marker='current').type('wrong-current-password')
    user.find(marker='new').type(NEW)
    user.find(marker='confirm').type(NEW)
    user.find(marker='submit').click()
    await user.should_see('Your current password is not right.')  # the handler has run and refused
    await user.should_not_see('Your password was changed.')
    assert _password_hash() == before

    user.find(marker='current').clear().type(PASSWORD)
    user.find(marker='submit').click()
    await user.should_see('Your password was changed.')
    assert verify_password(_password_hash(), NEW)
