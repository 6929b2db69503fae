"""Pages behind the payments review fixes: staff dialogs send one refund or payment per dialog, and
the pay form never charges an old amount with a kept key."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import func, select

from portal.db import read_session
from portal.models import GuarantorAccount, Payment, Refund
from portal.services import ledger
from tests.pages.conftest import DEMO_STAFF, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)


def _demo_account() -> GuarantorAccount:
    with read_session() as session:
        return session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()


def _count(model: type) -> int:
    with read_session() as session:
        return session.exec(select(func.count(model.id))).one()


async def test_staff_double_clicks_make_one_refund_and_one_cash_payment(user: User) -> None:
    account = _demo_account()
    with read_session() as session:
        before = ledger.balance(session, account.id)
    payments, refunds = _count(Payment), _count(Refund)
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    await user.should_see('Maria Alvarez · A10002026')
    user.find(marker='record-offline').click()
    user.find(marker='offline-method').elements.pop().value = 'cash'
    user.find(marker='offline-amount').type('12.50')
    user.find(marker='submit').click()
    user.find(marker='submit').click()
    await user.should_see('Payment recorded.')
    await user.open(f'/staff/accounts/{account.id}')
    await user.should_see('Maria Alvarez · A10002026')
    user.find(marker='refund').click()
    user.find(marker='refund-amount').clear().type('1.00')
    user.find(marker='refund-reason').elements.pop().value = 'Courtesy refund'
    user.find(marker='submit').click()  # the account owes: a second confirmation first
    await user.should_see('which the patient will owe again')
    user.find(marker='refund-confirm').click()
    user.find(marker='refund-confirm').click()
    await user.should_see('Refunded $1.00.')
    assert (_count(Payment), _count(Refund)) == (payments + 1, refunds + 1)
    with read_session() as session:
        assert ledger.balance(session, account.id) == before - 1150


async def test_after_a_timeout_another_amount_is_charged_as_typed(user: User) -> None:
    from portal.config import get_settings
    from portal.payments.demo_gateway import DemoGateway
    from portal.payments.gateway import GatewayError
    from portal.payments.registry import set_gateway
    from tests.pages.conftest import DEMO_PATIENT

    class Flaky(DemoGateway):
        failures = 1

        def start_checkout(self, request):  # noqa: ANN001, ANN202
            if self.failures:
                self.failures -= 1
                raise GatewayError('We could not reach the payment processor. Nothing was charged; please try '
                                   'again.', retryable=True)
            return super().start_checkout(request)

    set_gateway(Flaky(base_url=get_settings().public_base_url))
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    await user.should_see('Pay your bill')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='amount').type('20.00')
    user.find(marker='method').elements.pop().value = 0
    user.find(marker='submit').click()
    await user.should_see('could not reach the payment processor')
    user.find(marker='amount').clear().type('30.00')
    user.find(marker='submit').click()
    await user.should_see(marker='pay-card')
    await user.should_see('Pay $30.00')
