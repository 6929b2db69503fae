"""Registration: links a new sign-in to an existing account by account number + last name + date of
birth of any patient on it; every bad case gets a clear message and stores nothing."""
from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlalchemy import func
from sqlmodel import col, select

from portal.db import read_session
from portal.models import AccountAccess, GuarantorAccount, Patient
from portal.models import User as UserRow

STRONG = 'copper-violin-harbor-1987'


def unregistered_patient() -> tuple[str, str, str]:
    """(account number, last name, date of birth) of a dependent on an account nobody has claimed."""
    with read_session() as session:
        claimed = select(AccountAccess.account_id)
        account, patient = session.exec(
            select(GuarantorAccount, Patient).join(Patient, Patient.account_id == GuarantorAccount.id)
            .where(col(GuarantorAccount.id).not_in(claimed)).order_by(col(Patient.id).desc())).first()
        return account.account_number, patient.last_name, patient.date_of_birth.isoformat()


def counts() -> tuple[int, int]:
    with read_session() as session:
        return (session.exec(select(func.count()).select_from(UserRow)).one(),
                session.exec(select(func.count()).select_from(AccountAccess)).one())


async def fill(user: User, *, account: str, last: str, birth: str, email: str, password: str = STRONG,
               confirm: str | None = None) -> None:
    await user.open('/register')
    user.find(marker='account_number').type(account)
    user.find(marker='last_name').type(last)
    user.find(marker='birth').type(birth)
    user.find(marker='email').type(email)
    user.find(marker='password').type(password)
    user.find(marker='confirm').type(password if confirm is None else confirm)
    user.find(marker='submit').click()


async def test_good_details_create_an_account_and_sign_in(user: User) -> None:
    account, last, birth = unregistered_patient()
    await fill(user, account=f' {account.lower()} ', last=last.upper(), birth=birth, email='New.Person@Example.com')
    await user.should_see('Amount due')
    with read_session() as session:
        created = session.exec(select(UserRow).where(UserRow.email == 'new.person@example.com')).one()
        assert created.role == 'patient'
        access = session.exec(select(AccountAccess).where(AccountAccess.user_id == created.id)).one()
        linked = session.get(GuarantorAccount, access.account_id)
        assert linked.account_number == account


GENERIC = "We couldn't match those details to an account."


@pytest.mark.parametrize('wrong', ['account', 'last', 'birth'])
async def test_any_mismatch_gets_one_generic_message(user: User, wrong: str) -> None:
    account, last, birth = unregistered_patient()
    details = {'account': account, 'last': last, 'birth': birth}
    details[wrong] = {'account': 'A99999999', 'last': 'Nobody', 'birth': '1901-01-01'}[wrong]
    before = counts()
    await fill(user, email='someone@example.com', **details)
    await user.should_see(GENERIC)
    assert counts() == before


async def test_an_email_already_registered_gets_the_same_generic_message(user: User) -> None:
    account, last, birth = unregistered_patient()
    before = counts()
    await fill(user, account=account, last=last, birth=birth, email='patient@example.com')
    await user.should_see(GENERIC)
    assert counts() == before


async def test_weak_password_shows_feedback(user: User) -> None:
    account, last, birth = unregistered_patient()
    before = counts()
    await fill(user, account=account, last=last, birth=birth, email='weak@example.com', password='password1234')
    await user.should_see('This is a very common password.')  # zxcvbn's feedback, shown by the field
    await user.should_not_see('Amount due')
    assert counts() == before


async def test_short_password_is_refused(user: User) -> None:
    account, last, birth = unregistered_patient()
    await fill(user, account=account, last=last, birth=birth, email='short@example.com', password='Tr0ub4dor&3')
    await user.should_see('at least 12 characters')


async def test_mismatched_confirmation(user: User) -> None:
    account, last, birth = unregistered_patient()
    before = counts()
    await fill(user, account=account, last=last, birth=birth, email='typo@example.com', confirm=STRONG + 'x')
    await user.should_see('match')
    assert counts() == before


async def test_bad_email(user: User) -> None:
    account, last, birth = unregistered_patient()
    before = counts()
    await fill(user, account=account, last=last, birth=birth, email='not-an-email')
    await user.should_see('An email address must have an @-sign.')
    await user.should_not_see('Amount due')
    assert counts() == before


async def test_too_long_input_gets_a_length_message(user: User) -> None:
    account, _last, birth = unregistered_patient()
    before = counts()
    await fill(user, account=account, last='x' * 81, birth=birth, email='long@example.com')
    await user.should_see('Use at most 80 characters.')
    assert counts() == before


async def test_empty_form_names_each_missing_field(user: User) -> None:
    await user.open('/register')
    user.find(marker='submit').click()
    await user.should_see('Enter the account number.')
    await user.should_see("Enter the patient's last name.")
    await user.should_see("Enter the patient's date of birth.")
    await user.should_see('Enter your email address.')
