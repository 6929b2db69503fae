"""Profile: the linked accounts, and changing the password."""
from __future__ import annotations

from nicegui.testing import User

from tests.pages.conftest import DEMO_PATIENT, PASSWORD, sign_in

NEW = 'saffron-bicycle-lagoon-31'


async def test_profile_lists_the_linked_account_and_changes_the_password(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/profile')
    await user.should_see('Billing accounts')
    await user.should_see(DEMO_PATIENT)

    user.find(marker='current').type('wrong-current-password')
    user.find(marker='new').type(NEW)
    user.find(marker='confirm').type(NEW)
    user.find(marker='submit').click()
    await user.should_not_see('Your password was changed.')

    user.find(marker='current').clear().type(PASSWORD)
    user.find(marker='submit').click()
    await user.should_see('Your password was changed.')
