"""Lockouts an attacker cannot turn against the owner: failures lock out the address they came from,
the account (or a statement's quick-pay code) only gets growing delays of seconds."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from portal.auth import ratelimit
from portal.clock import utcnow
from portal.errors import RateLimited, ValidationFailed
from portal.services.identity import sessions
from portal.services.identity.sessions import SignInFailed
from portal.services.payments import guest
from tests.factories import STRONG_PASSWORD, make_quick_pay_statement, make_user

ATTACKER = '203.0.113.66'
OWNER = '198.51.100.7'
WRONG = 'wrong-password-123'  # noqa: S105


def wrong_guess(ip: str) -> type[Exception]:
    try:
        sessions.sign_in(email='maria@example.com', password=WRONG, ip=ip)
    except (SignInFailed, RateLimited) as error:
        return type(error)
    raise AssertionError('a wrong password signed in')


def test_five_wrong_passwords_lock_the_attacker_out_but_not_the_owner(db: str) -> None:
    make_user(email='maria@example.com')
    assert [wrong_guess(ATTACKER) for _ in range(6)] == [SignInFailed] * 4 + [RateLimited] * 2
    with pytest.raises(RateLimited, match='from here'):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=ATTACKER)
    assert sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=OWNER).email \
        == 'maria@example.com'


def test_guesses_from_many_addresses_get_growing_delays_never_a_lockout(db: str) -> None:
    make_user(email='maria@example.com')
    with time_machine.travel(utcnow(), tick=False) as clock:
        for number in range(10):  # two attackers' addresses' worth: no delay yet
            assert wrong_guess(f'203.0.113.{number}') is SignInFailed
        waits = []
        for number in range(10, 17):
            with pytest.raises(RateLimited, match='second') as slowed:
                sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=OWNER)
            waits.append(int(slowed.value.message.split('wait ')[1].split(' ')[0]))
            clock.shift(timedelta(seconds=waits[-1]))
            assert wrong_guess(f'203.0.113.{number}') is SignInFailed
        assert waits == [1, 2, 4, 8, 16, 32, 60]  # doubling, capped at a minute
        clock.shift(timedelta(seconds=60))
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=OWNER)  # the owner gets in


def test_wrong_birth_dates_never_lock_the_patient_out_of_their_code(db: str) -> None:
    make_quick_pay_statement()
    for day in range(4, 14):  # the most one address may try
        with pytest.raises(ValidationFailed):
            guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, day), ip=ATTACKER)
    with pytest.raises(RateLimited):
        guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, 3), ip=ATTACKER)
    found = guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, 3), ip=OWNER)
    assert found.first_name == 'Lena'


def test_guesses_at_a_code_from_many_addresses_are_slowed(db: str) -> None:
    make_quick_pay_statement()
    with time_machine.travel(utcnow(), tick=False) as clock:
        for number in range(20):
            with pytest.raises(ValidationFailed):
                guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1991, 1, 1), ip=f'203.0.113.{number}')
        with pytest.raises(RateLimited, match='1 second'):
            guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, 3), ip=OWNER)
        clock.shift(timedelta(seconds=1))
        assert guest.lookup(code='ABCDEFGHJKLM', date_of_birth=date(1990, 2, 3), ip=OWNER).first_name == 'Lena'


def test_spacing_delays_double_and_stop_at_the_cap() -> None:
    spacing = ratelimit.Spacing('test', 3, timedelta(minutes=15))
    assert [spacing.delay(n).total_seconds() for n in (0, 2, 3, 4, 5, 9, 10, 100)] == [0, 0, 1, 2, 4, 60, 60, 60]
