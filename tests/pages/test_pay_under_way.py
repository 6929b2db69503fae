"""/pay while another payment of the same account is at the gateway: the second payer is told plainly."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.models import GuarantorAccount, PaymentAttempt
from portal.services.payable import payable_now
from portal.services.payments import new_key, open_attempt
from tests.pages.conftest import DEMO_PATIENT, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)

DEMO_ACCOUNT = 'A10002026'


def _other_guardian_paying_everything() -> int:
    """Another guardian's "Another amount" for all that is owed, stored and now at the gateway (its
    reservation is what the other request left before calling it); returns the account id."""
    with write_session() as session:
        account_id = session.exec(select(GuarantorAccount.id)
                                  .where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        owed = payable_now(session, account_id)
        assert owed > 0
        open_attempt(session, account_id=account_id, target=f'amount:{owed}', amount=owed,
                     idempotency_key=new_key())
    return account_id


def _attempts(account_id: int) -> int:
    with read_session() as session:
        return session.exec(select(func.count(PaymentAttempt.id)).where(PaymentAttempt.account_id == account_id)).one()


async def test_the_second_payer_is_told_a_payment_is_already_under_way(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    await user.should_see('Pay your bill')
    account_id = _other_guardian_paying_everything()
    user.find(marker='choice').elements.pop().value = 'full'
    user.find(marker='method').elements.pop().value = 0  # a new card, on the hosted checkout page
    user.find(marker='submit').click()
    await user.should_see('A payment for this account is already under way')
    await user.should_see('Nothing was charged')
    assert _attempts(account_id) == 1  # the other payer's only
