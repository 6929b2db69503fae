"""/payment-methods for someone with several linked accounts (a picker, as on /pay), and a method
removed in another window while this one still shows it."""
from __future__ import annotations

from datetime import timedelta

from nicegui.testing import User
from sqlmodel import select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.models import AccountAccess, GuarantorAccount, SavedPaymentMethod
from tests.factories import STRONG_PASSWORD, make_account, make_saved_method, make_user
from tests.pages.conftest import DEMO_PATIENT, sign_in
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)


def _two_accounts() -> tuple[GuarantorAccount, GuarantorAccount]:
    first, _ = make_account()
    second, _ = make_account(guarantor_first_name='Ana')
    person = make_user(email='two.accounts@example.com', account=first)
    with write_session() as session:
        session.add(AccountAccess(user_id=person.id, account_id=second.id, relationship='parent'))
    return first, second


def _default_of(account_id: int) -> list[int]:
    with read_session() as session:
        return list(session.exec(select(SavedPaymentMethod.id).where(
            SavedPaymentMethod.account_id == account_id, SavedPaymentMethod.is_default,
            SavedPaymentMethod.removed_at.is_(None))).all())


async def test_someone_with_two_accounts_picks_whose_methods(user: User) -> None:
    first, second = _two_accounts()
    mine = make_saved_method(first)
    theirs = make_saved_method(second, behaviour='bank')
    spare = make_saved_method(second, is_default=False)
    await sign_in(user, 'two.accounts@example.com', STRONG_PASSWORD)
    await user.should_see(marker='sign-out')
    await user.open('/payment-methods')
    await user.should_see(marker=f'method-{mine.id}')
    await user.should_see(marker='account')
    user.find(marker='account').elements.pop().value = second.id  # the picker opens the other account
    await user.should_see(marker=f'method-{theirs.id}')
    await user.should_see(marker=f'method-{spare.id}')
    await user.should_not_see(marker=f'method-{mine.id}')
    user.find(marker=f'default-{spare.id}').click()
    await user.should_see('Default payment method changed.')
    assert _default_of(second.id) == [spare.id] and _default_of(first.id) == [mine.id]
    user.find(marker='add-method').click()  # adds to the chosen account, and comes back to it
    await user.should_see(marker='card-number')
    user.find(marker='card-number').type('4242 4242 4242 4242')
    user.find(marker='card-expiry').type('11/31')
    user.find(marker='pay-card').click()
    await user.should_see('Your new payment method is saved')
    await user.should_see(marker=f'method-{spare.id}')
    with read_session() as session:
        counts = {account.id: len(session.exec(select(SavedPaymentMethod.id).where(
            SavedPaymentMethod.account_id == account.id, SavedPaymentMethod.removed_at.is_(None))).all())
            for account in (first, second)}
    assert counts == {first.id: 1, second.id: 3}


async def test_one_account_has_no_picker(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/payment-methods')
    await user.should_see(marker='methods')
    await user.should_not_see(marker='account')


def _remove_elsewhere(method_id: int) -> None:
    with write_session() as session:
        row = session.get(SavedPaymentMethod, method_id)
        row.removed_at = utcnow() - timedelta(seconds=1)


async def test_make_default_on_a_method_removed_in_another_window(user: User) -> None:
    with read_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == 'A10002026')).one()
    extra = make_saved_method(account.id, behaviour='bank', is_default=False)
    other = make_saved_method(account.id, is_default=False)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    await user.open('/payment-methods')
    await user.should_see(marker=f'default-{extra.id}')
    _remove_elsewhere(extra.id)
    user.find(marker=f'default-{extra.id}').click()
    await user.should_see('That payment method is no longer saved')
    await user.should_not_see(marker=f'method-{extra.id}')  # the list is redrawn without it
    _remove_elsewhere(other.id)
    user.find(marker=f'remove-{other.id}').click()
    user.find(marker='confirm-remove').click()
    await user.should_see(marker='methods')
    await user.should_not_see(marker=f'method-{other.id}')
