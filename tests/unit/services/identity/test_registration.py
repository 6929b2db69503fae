"""Registration: a patient user linked by account number, last name and date of birth; every refusal generic."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from portal.db import read_session
from portal.errors import RateLimited, ValidationFailed
from portal.models import AccountAccess, User
from portal.services.identity import registration, sessions, shared
from portal.services.identity.registration import RegistrationFailed
from tests.factories import STRONG_PASSWORD, make_account, make_user
from tests.unit.services.identity.rows import IP, audit_rows, count_rows


@pytest.fixture
def account(db: str):  # noqa: ANN201
    account, patients = make_account(account_number='A100234', guarantor_first_name='Maria',
                                     guarantor_last_name='Núñez', patients=[
        {'first_name': 'Maria', 'last_name': 'Núñez', 'date_of_birth': date(1984, 3, 15)},
        {'first_name': 'Leo', 'last_name': 'Núñez Ortiz', 'date_of_birth': date(2015, 9, 1)},
    ])
    return account


def _register(**overrides) -> shared.Identity:
    values = {'account_number': 'A100234', 'last_name': 'Núñez', 'date_of_birth': '1984-03-15',
              'email': 'maria@example.com', 'password': STRONG_PASSWORD, 'password_confirm': STRONG_PASSWORD,
              'relationship': 'self', 'ip': IP, **overrides}
    return registration.register(**values)


def test_register_matches_any_patient_on_the_account(account) -> None:  # noqa: ANN001
    who = _register(account_number=' a100234 ', last_name='  núñez ortiz', date_of_birth='09/01/2015',
                    email='Parent@Example.com', relationship='parent')
    assert (who.role, who.email, who.first_name) == ('patient', 'parent@example.com', 'Maria')
    with read_session() as session:
        [access] = session.exec(select(AccountAccess)).all()
    assert (access.user_id, access.account_id, access.relationship) == (who.user_id, account.id, 'parent')
    [event] = audit_rows('register')
    assert (event.actor_user_id, event.account_id) == (who.user_id, account.id)
    sessions.sign_in(email='parent@example.com', password=STRONG_PASSWORD, ip=IP)


def test_register_self_takes_the_patients_name_and_accepts_a_date(account) -> None:  # noqa: ANN001
    who = _register(date_of_birth=date(1984, 3, 15))
    assert who.first_name == 'Maria'


@pytest.mark.parametrize('overrides', [
    {'account_number': 'A100235'},
    {'last_name': 'Nunez'},  # accents are compared as stored
    {'last_name': 'Lopez'},
    {'date_of_birth': '1984-03-16'},
    {'date_of_birth': '2015-09-01'},  # Leo's date of birth, but Leo's last name is Núñez Ortiz
])
def test_register_mismatch_is_generic(account, overrides: dict) -> None:  # noqa: ANN001
    with pytest.raises(RegistrationFailed) as failed:
        _register(**overrides)
    assert failed.value.message == ("We couldn't match those details to an account. Check the account number "
                                    'on your statement and try again.')
    assert count_rows(User) == 0 and count_rows(AccountAccess) == 0


def test_register_duplicate_email_is_generic(account) -> None:  # noqa: ANN001
    make_user(email='maria@example.com')
    with pytest.raises(RegistrationFailed):
        _register(email='MARIA@example.com')
    assert count_rows(User) == 1 and count_rows(AccountAccess) == 0
    assert [event.outcome for event in audit_rows('register_failed')] == ['failed']


@pytest.mark.parametrize(('overrides', 'field'), [
    ({'email': 'not-an-email'}, 'email'),
    ({'email': ''}, 'email'),
    ({'email': 'a' * 250 + '@example.com'}, 'email'),
    ({'password': 'password123456', 'password_confirm': 'password123456'}, 'password'),
    ({'password': 'short', 'password_confirm': 'short'}, 'password'),
    ({'password': 'x' * 129, 'password_confirm': 'x' * 129}, 'password'),
    ({'password_confirm': STRONG_PASSWORD + '!'}, 'password_confirm'),
    ({'account_number': 'A' * 21}, 'account_number'),
    ({'account_number': '  '}, 'account_number'),
    ({'last_name': 'N' * 81}, 'last_name'),
    ({'date_of_birth': '15.03.1984'}, 'date_of_birth'),
    ({'date_of_birth': '2999-01-01'}, 'date_of_birth'),
    ({'date_of_birth': '1984-03-15' * 10}, 'date_of_birth'),
    ({'relationship': 'neighbour'}, 'relationship'),
])
def test_register_validation(account, overrides: dict, field: str) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as failed:
        _register(**overrides)
    assert field in failed.value.field_errors and failed.value.field_errors[field]
    assert count_rows(User) == 0 and count_rows(AccountAccess) == 0


def test_register_weak_password_explains(account) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as failed:
        _register(password='password123456', password_confirm='password123456')
    assert 'too easy to guess' in failed.value.field_errors['password']


def test_register_is_rate_limited_per_address(account) -> None:  # noqa: ANN001
    for _ in range(10):
        with pytest.raises(RegistrationFailed):
            _register(account_number='WRONG1')
    with pytest.raises(RateLimited):
        _register()
    assert count_rows(User) == 0
    _register(ip='198.51.100.1')
