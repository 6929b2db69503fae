"""/pay signed in and as a guest, the demo checkout, the result page and receipts."""
from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.models import GuarantorAccount, Patient, Payment, PaymentAttempt, Statement
from portal.services import ledger
from tests.pages.conftest import DEMO_PATIENT, sign_in
from tests.support.payments import checkout_with, fresh_gateway  # noqa: F401  (autouse)

DEMO_ACCOUNT = 'A10002026'


def _account() -> tuple[int, int]:
    with read_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        return account.id, ledger.balance(session, account.id)


def _payments() -> int:
    with read_session() as session:
        return session.exec(select(func.count(Payment.id))).one()


async def test_signed_in_pays_other_amount_with_4242(user: User) -> None:
    account_id, before = _account()
    assert before > 2000
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    await user.should_see('Pay your bill')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='amount').type('20.00')
    user.find(marker='method').elements.pop().value = 0
    user.find(marker='submit').click()
    await checkout_with(user, '4242 4242 4242 4242')
    await user.should_see('Payment received')
    await user.should_see(marker='receipt')
    assert _account()[1] == before - 2000
    assert _payments_for(account_id) == 1


def _payments_for(account_id: int) -> int:
    with read_session() as session:
        return session.exec(select(func.count(Payment.id)).where(Payment.account_id == account_id,
                                                                 Payment.attempt_id.is_not(None))).one()


async def test_declined_card_changes_nothing(user: User) -> None:
    account_id, before = _account()
    count = _payments()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='method').elements.pop().value = 0
    user.find(marker='submit').click()
    await checkout_with(user, '4000 0000 0000 0002')
    await user.should_see('Your card was declined')
    assert _account()[1] == before and _payments() == count


@pytest.mark.parametrize('typed, message', [
    ('0', 'more than zero'), ('-5', 'more than zero'), ('1.234', 'like 4.60'), ('abc', 'like 4.60'),
    ('4,60', 'like 4.60'), ('1e2', 'like 4.60'),
    ('99999999999', 'too large'), ('0.50', 'least you can pay'),
])
async def test_bad_amounts_store_nothing(user: User, typed: str, message: str) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='amount').type(typed)
    user.find(marker='submit').click()
    await user.should_see(message)
    with read_session() as session:
        assert session.exec(select(func.count(PaymentAttempt.id))).one() == 0


async def test_over_balance_is_refused(user: User) -> None:
    _, before = _account()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='amount').type(f'{(before + 100) / 100:.2f}')
    user.find(marker='submit').click()
    await user.should_see('The most you can pay here is')


def _statement_with_code() -> tuple[str, str, str]:
    """(quick-pay code, a patient's date of birth, first name) of an unpaid statement with something due."""
    with write_session() as session:
        rows = session.exec(select(Statement).where(Statement.paid_at.is_(None), Statement.amount_due > 0)
                            .order_by(Statement.id.desc())).all()
        for statement in rows:
            if ledger.balance(session, statement.account_id) > 0:
                patient = session.exec(select(Patient).where(Patient.account_id == statement.account_id)).first()
                return statement.quick_pay_code, patient.date_of_birth.isoformat(), patient.first_name
    raise AssertionError('the demo set has no unpaid statement')


async def test_guest_pays_with_quick_pay_code(user: User) -> None:
    code, birth, first_name = _statement_with_code()
    count = _payments()
    await user.open(f'/pay?code={code}')
    await user.should_see('Pay a bill')
    user.find(marker='birth').type(birth)
    user.find(marker='submit').click()
    await user.should_see(f'Hi {first_name}.')
    user.find(marker='pay').click()
    await checkout_with(user, '4242424242424242')
    await user.should_see('Payment received')
    await user.should_see('Email me a receipt')
    user.find(marker='receipt-email').type('guest@example.com')
    user.find(marker='send-receipt').click()
    await user.should_see('Sent.')
    assert _payments() == count + 1


async def test_guest_wrong_birth_date_gets_the_generic_error(user: User) -> None:
    code, _, _ = _statement_with_code()
    await user.open(f'/pay?code={code}')
    user.find(marker='birth').type('1900-01-01')
    user.find(marker='submit').click()
    await user.should_see('We could not find a bill with that code and date of birth')


async def test_someone_with_two_accounts_chooses_which_to_pay(user: User) -> None:
    from tests.factories import make_account, make_charges, make_user
    first, _ = make_account()
    second, _ = make_account(guarantor_first_name='Ana')
    make_charges(first, [1000])
    make_charges(second, [2500])
    person = make_user(email='two.accounts@example.com', account=first)
    with write_session() as session:
        from portal.models import AccountAccess
        session.add(AccountAccess(user_id=person.id, account_id=second.id, relationship='parent'))
    from tests.factories import STRONG_PASSWORD
    await sign_in(user, 'two.accounts@example.com', STRONG_PASSWORD)
    await user.should_see(marker='sign-out')
    await user.open(f'/pay?account={second.id}')
    await user.should_see('$25.00')
    await user.should_see(marker='account')
    response = await user.http_client.get(f'/pay?account={first.id + second.id + 999}')  # not theirs
    assert response.status_code == 404 and 'Page not found' in response.text


async def test_an_attackers_wrong_guesses_elsewhere_leave_the_code_usable_here(user: User) -> None:
    from datetime import date

    from portal.errors import DomainError
    from portal.services.payments import guest
    code, birth, first_name = _statement_with_code()
    for day in range(1, 13):  # the attacker's address runs out of tries; the code is not locked
        try:
            guest.lookup(code=code, date_of_birth=date(1901, 1, day), ip='203.0.113.66')
        except DomainError:
            pass
    await user.open(f'/pay?code={code}')
    user.find(marker='birth').type(birth)
    user.find(marker='submit').click()
    await user.should_see(f'Hi {first_name}.')


async def test_a_saved_card_is_charged_only_after_the_patient_confirms_the_amount_read(user: User) -> None:
    from tests.factories import make_saved_method
    account_id, before = _account()
    method = make_saved_method(account_id)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='method').elements.pop().value = method.id
    user.find(marker='amount').type('4,60')  # a decimal comma: refused, never read as $460.00
    user.find(marker='submit').click()
    await user.should_see('Enter the amount like 4.60.')
    await user.should_not_see(marker='confirm-question')
    user.find(marker='amount').clear().type('4.60')
    user.find(marker='submit').click()
    await user.should_see('Pay $4.60 with Visa ending 4242?')
    user.find(marker='cancel').click()
    await user.should_not_see('Pay $4.60 with Visa ending 4242?', retries=40)  # removed after its close transition
    assert _account()[1] == before and _payments_for(account_id) == 0
    user.find(marker='submit').click()
    await user.should_see('Pay $4.60 with Visa ending 4242?')
    user.find(marker='confirm-pay').click()
    await user.should_see('Payment received')
    assert _account()[1] == before - 460 and _payments_for(account_id) == 1


async def test_a_double_click_on_continue_opens_one_confirm_dialog(user: User) -> None:
    from tests.factories import make_saved_method
    account_id, before = _account()
    method = make_saved_method(account_id)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/pay')
    user.find(marker='choice').elements.pop().value = 'other'
    user.find(marker='method').elements.pop().value = method.id
    user.find(marker='amount').type('4.60')
    user.find(marker='submit').click()
    user.find(marker='submit').click()  # the second click of a double click
    await user.should_see('Pay $4.60 with Visa ending 4242?')
    user.find(marker='submit').click()  # behind the open dialog: nothing
    await user.should_see('Pay $4.60 with Visa ending 4242?')
    assert len(user.find(marker='confirm-question').elements) == 1
    user.find(marker='confirm-pay').click()
    await user.should_see('Payment received')
    assert _account()[1] == before - 460 and _payments_for(account_id) == 1


async def test_while_everything_left_waits_for_insurance_another_amount_pays_ahead(user: User) -> None:
    from tests.factories import STRONG_PASSWORD, make_account, make_charges, make_claim, make_user
    account, _ = make_account()
    [visit] = make_charges(account, [15500])
    make_claim(visit)  # still with the insurer: nothing is asked for
    make_user(account=account, email='ahead@example.com', first_name='Ana')
    await sign_in(user, 'ahead@example.com', STRONG_PASSWORD)
    await user.should_see(marker='home-cards')
    await user.open('/pay')
    await user.should_see(marker='nothing-due')
    await user.should_see('is waiting for insurance')
    (choice,) = user.find(marker='choice').elements
    assert list(choice.options) == ['other'] and choice.value == 'other'
    user.find(marker='amount').type('20.00')
    user.find(marker='method').elements.pop().value = 0
    user.find(marker='submit').click()
    await checkout_with(user, '4242 4242 4242 4242')
    await user.should_see('Payment received')
    with read_session() as session:
        assert ledger.balance(session, account.id) == 13500
