"""The demo checkout: a bank payment stays processing until it settles, the authentication step, a
second tab reusing the open attempt, an attempt paid elsewhere, and no such page in Stripe mode."""
from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import func, select

from portal.config import reload_settings
from portal.db import read_session
from portal.models import GuarantorAccount, Notification, Payment, PaymentAttempt
from portal.payments.registry import reset_gateway
from portal.services import ledger
from tests.pages.conftest import DEMO_PATIENT, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)


def _balance() -> tuple[int, int]:
    with read_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
        return ledger.balance(session, account.id), ledger.processing_payments(session, account.id)


async def _to_checkout(user: User, amount: str = '30') -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='amount').type(amount)
    user.find(marker='method').elements.pop().value = 0
    user.find(marker='submit').click()
    await user.should_see(marker='card-number')


async def test_bank_payment_processes_then_settles(user: User) -> None:
    balance, processing = _balance()
    await _to_checkout(user)
    user.find(marker='routing').type('110000000')
    user.find(marker='bank-account').type('000123456789')
    user.find(marker='pay-bank').click()
    await user.should_see('Payment processing')
    assert _balance() == (balance, processing + 3000)  # not on the ledger yet, but not payable twice
    user.find(marker='settle').click()
    await user.should_see('Payment received')
    assert _balance() == (balance - 3000, processing)


async def test_wrong_bank_account_is_refused(user: User) -> None:
    await _to_checkout(user)
    user.find(marker='routing').type('110000000')
    user.find(marker='bank-account').type('123')
    user.find(marker='pay-bank').click()
    await user.should_see('only the test bank account')


async def test_authentication_step(user: User) -> None:
    balance, _ = _balance()
    await _to_checkout(user)
    user.find(marker='card-number').type('4000 0027 6000 3184')
    user.find(marker='pay-card').click()
    await user.should_see('Confirm this payment')
    user.find(marker='approve').click()
    await user.should_see('Payment received')
    assert _balance()[0] == balance - 3000
    with read_session() as session:  # the receipt email: the outbox refuses any field but the allowed ones
        note = session.exec(select(Notification).where(Notification.template == 'payment_received')).one()
    assert '"receipt_number"' in note.context_json and 'Alvarez' not in note.context_json


async def test_unknown_card_numbers_are_refused(user: User) -> None:
    await _to_checkout(user)
    user.find(marker='card-number').type('4111 1111 1111 1111')
    user.find(marker='pay-card').click()
    await user.should_see('only the test card numbers')
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id)).where(Payment.attempt_id.is_not(None))).one() == 0


async def test_second_tab_reuses_the_open_attempt(user: User) -> None:
    from portal.auth.permissions import Actor
    from portal.services.payments import checkout, new_key
    await _to_checkout(user, '12')
    with read_session() as session:
        attempt = session.exec(select(PaymentAttempt)).one()
    actor = Actor(user_id=attempt.user_id, role='patient')
    again = checkout.start_payment(actor=actor, account_id=attempt.account_id, choice='other', amount_text='12',
                                   idempotency_key=new_key())
    assert again.redirect_url.endswith(attempt.gateway_session_id)
    with read_session() as session:
        assert session.exec(select(func.count(PaymentAttempt.id))).one() == 1


async def test_no_demo_checkout_in_stripe_mode(user: User) -> None:
    await _to_checkout(user)
    with read_session() as session:
        path = f'/demo-checkout/{session.exec(select(PaymentAttempt)).one().gateway_session_id}'
    assert (await user.http_client.get(path)).status_code == 200  # a live checkout, served in demo mode
    with pytest.MonkeyPatch.context() as stripe_mode:
        stripe_mode.setenv('PORTAL_PAYMENTS', 'stripe')
        stripe_mode.setenv('PORTAL_STRIPE_SECRET_KEY', 'sk_test_not_used')
        reload_settings()
        # the demo gateway that knows this checkout is still in memory: the mode alone must close the page
        assert (await user.http_client.get(path)).status_code == 404
        reset_gateway()  # and once the process's gateway is Stripe's
        assert (await user.http_client.get(path)).status_code == 404
    reload_settings()


async def test_refusing_authentication_charges_nothing(user: User) -> None:
    balance, _ = _balance()
    await _to_checkout(user)
    user.find(marker='card-number').type('4000 0027 6000 3184')
    user.find(marker='pay-card').click()
    await user.should_see(marker='refuse')
    user.find(marker='refuse').click()
    await user.should_see('nothing was charged')
    assert _balance()[0] == balance


async def test_an_attempt_paid_in_another_window_is_not_charged_again(user: User) -> None:
    from portal.db import write_session
    await _to_checkout(user)
    with write_session() as session:  # another window finished this attempt meanwhile
        session.exec(select(PaymentAttempt)).one().status = 'succeeded'
    user.find(marker='card-number').type('4242 4242 4242 4242')
    user.find(marker='pay-card').click()
    await user.should_see('already made in another window')
    with read_session() as session:
        assert session.exec(select(func.count(Payment.id)).where(Payment.attempt_id.is_not(None))).one() == 0
