"""Refunds as staff and patients see them: the credit first, a second confirmation naming the balance a
larger refund leaves, Cancel that changes nothing, and the reason in plain words for the patient."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import Payment, Refund
from portal.services import ledger
from portal.services.payments import staff, tokens
from portal.services.refund_reasons import REASONS
from tests.factories import STRONG_PASSWORD, make_account, make_charges, make_paid_attempt, make_user
from tests.pages.conftest import DEMO_STAFF, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)


def _refunds() -> int:
    with read_session() as session:
        return session.exec(select(func.count(Refund.id))).one()


async def test_a_refund_defaults_to_the_credit_and_cancel_changes_nothing(user: User) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    clerk = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:  # $60 in cash on a $50 charge: $10 of credit
        staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='60', method='cash')
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    await user.should_see('Credit (refundable)')
    user.find(marker='refund').click()
    await user.should_see('Account credit: $10.00.')
    assert user.find(marker='refund-amount').elements.pop().value == '10.00'
    user.find(marker='cancel').click()
    await user.should_not_see('Account credit: $10.00.', retries=40)  # removed after its close transition
    assert _refunds() == 0
    user.find(marker='refund').click()
    user.find(marker='refund-reason').elements.pop().value = 'Overpayment'
    user.find(marker='submit').click()  # within the credit: no second question
    await user.should_see('Refunded $10.00.')
    with read_session() as session:
        assert ledger.balance(session, account.id) == 0


async def test_every_staff_account_dialog_has_cancel(user: User) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    user.find(marker='record-offline').click()
    user.find(marker='offline-amount').type('25')
    user.find(marker='cancel').click()
    await user.should_not_see(marker='offline-amount', retries=40)
    with read_session() as session:
        assert ledger.balance(session, account.id) == 5000


async def test_the_patient_reads_why_money_came_back_on_the_receipt_and_home(user: User) -> None:
    attempt_id = make_paid_attempt(signed_in=True, amount=8000)
    with read_session() as session:
        payment_id, account_id = session.exec(select(Payment.id, Payment.account_id)
                                              .where(Payment.attempt_id == attempt_id)).one()
    clerk = Actor(user_id=make_user(role='staff').id, role='staff')
    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='20', reason='Insurance paid',
                         balance_after=2000)
    await user.open(f'/pay/receipt/{tokens.make("receipt", payment_id)}')
    await user.should_see(REASONS['Insurance paid'])
    make_user(email='refunded@example.com', account=account_id)
    await sign_in(user, 'refunded@example.com', STRONG_PASSWORD)
    await user.should_see('$20.00 was refunded to you on')
    await user.should_see(REASONS['Insurance paid'])


async def test_the_cash_or_check_dialog_shows_every_fields_error_at_once(user: User) -> None:
    account, _ = make_account()
    make_charges(account, [5000])
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    user.find(marker='record-offline').click()
    user.find(marker='offline-amount').type('4,60')  # a check (the default) with no number, and a bad amount
    user.find(marker='submit').click()
    await user.should_see('Enter the amount like 4.60. Enter the check number.')
    assert user.find(marker='offline-amount').elements.pop().error == 'Enter the amount like 4.60.'
    assert user.find(marker='offline-reference').elements.pop().error == 'Enter the check number.'
    with read_session() as session:
        assert ledger.balance(session, account.id) == 5000
