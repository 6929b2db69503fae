"""Rate limits hold under parallel attempts: the attempt is reserved before the slow check, so
exactly the limit's worth of guesses are checked and every other one is refused."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pyotp
import time_machine
from sqlmodel import func, select

from portal.auth.ratelimit import SIGN_IN_ACCOUNT
from portal.clock import utcnow
from portal.db import read_session
from portal.errors import DomainError, RateLimited
from portal.models import AuditEvent
from portal.services.identity import sessions, two_step
from tests.factories import make_user

TRIES = 16
LIMIT = 5  # SIGN_IN_ACCOUNT and TOTP_USER


def attempts(action: str, detail: str) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == action, AuditEvent.detail == detail)).one()


def outcome(error: DomainError) -> str:
    return 'refused' if isinstance(error, RateLimited) else error.message


def test_parallel_wrong_passwords_check_exactly_the_limit(db: str) -> None:
    make_user(email='target@example.com')

    def attempt(_: int) -> str:
        try:
            sessions.sign_in(email='target@example.com', password='wrong-password-guess', ip='')
        except DomainError as error:
            return type(error).__name__
        return 'signed in'

    with ThreadPoolExecutor(8) as pool:
        outcomes = Counter(pool.map(attempt, range(TRIES)))
    # the attempt that reaches the limit may already say "locked": the split of the checked ones varies
    assert set(outcomes) <= {'SignInFailed', 'RateLimited'} and outcomes['RateLimited'] >= TRIES - LIMIT
    assert attempts('sign_in_failed', 'wrong password') == LIMIT  # checked: the limit, however many ran at once
    refused = attempts('sign_in_failed', 'locked (address)') + attempts('sign_in_failed', 'rate limited')
    assert refused == TRIES - LIMIT  # refused before the check


def test_parallel_wrong_passwords_from_many_addresses_check_at_most_the_account_allowance(db: str) -> None:
    make_user(email='target@example.com')

    def attempt(number: int) -> None:
        try:
            sessions.sign_in(email='target@example.com', password='wrong-password-guess', ip=f'203.0.113.{number}')
        except DomainError:
            pass

    with time_machine.travel(utcnow(), tick=False), ThreadPoolExecutor(8) as pool:  # no delay runs out meanwhile
        list(pool.map(attempt, range(24)))
    # no address reached its own lockout; the account's growing delays held the rest back
    assert attempts('sign_in_failed', 'wrong password') == SIGN_IN_ACCOUNT.free


def test_parallel_wrong_codes_check_exactly_the_limit(db: str) -> None:
    secret = pyotp.random_base32()
    clerk = make_user(role='staff', totp_secret=secret)
    totp = pyotp.TOTP(secret)
    now = utcnow()
    current = {totp.at(now + timedelta(seconds=step)) for step in range(-90, 91, 30)}
    wrong = next(code for code in ('000000', '111111', '222222') if code not in current)

    def attempt(_: int) -> str:
        try:
            two_step.verify_totp(user_id=clerk.id, code=wrong, ip='')
        except DomainError as error:
            return outcome(error)
        return 'verified'

    with ThreadPoolExecutor(8) as pool:
        outcomes = Counter(pool.map(attempt, range(TRIES)))
    assert outcomes == {two_step.CODE_WRONG: LIMIT, 'refused': TRIES - LIMIT}
    assert attempts('mfa_failed', 'wrong code') == LIMIT
