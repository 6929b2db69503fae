"""Rate limits hold under parallel attempts: the attempt is reserved before the slow check."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pyotp
import time_machine
from sqlmodel import func, select

from portal.auth.ratelimit import SIGN_IN_ACCOUNT
from portal.clock import utcnow
from portal.db import read_session
from portal.models import AuditEvent
from portal.services import identity
from portal.services.errors import DomainError
from tests.factories import make_user


def attempts(action: str, detail: str) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.action == action, AuditEvent.detail == detail)).one()


def test_parallel_wrong_passwords_check_at_most_the_limit(db: str) -> None:
    make_user(email='target@example.com')

    def attempt(_: int) -> str:
        try:
            identity.sign_in(email='target@example.com', password='wrong-password-guess', ip='')
        except DomainError as error:
            return type(error).__name__
        return 'signed in'

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert 'signed in' not in outcomes
    assert attempts('sign_in_failed', 'wrong password') == 5  # the limit, however many ran at once


def test_parallel_wrong_passwords_from_many_addresses_check_at_most_the_account_allowance(db: str) -> None:
    make_user(email='target@example.com')

    def attempt(number: int) -> None:
        try:
            identity.sign_in(email='target@example.com', password='wrong-password-guess', ip=f'203.0.113.{number}')
        except DomainError:
            pass

    with time_machine.travel(utcnow(), tick=False), ThreadPoolExecutor(8) as pool:  # no delay runs out meanwhile
        list(pool.map(attempt, range(24)))
    # no address reached its own lockout; the account's growing delays held the rest back
    assert attempts('sign_in_failed', 'wrong password') == SIGN_IN_ACCOUNT.free


def test_parallel_wrong_codes_check_at_most_the_limit(db: str) -> None:
    secret = pyotp.random_base32()
    clerk = make_user(role='staff', totp_secret=secret)

    def attempt(_: int) -> None:
        try:
            identity.verify_totp(user_id=clerk.id, code='000000', ip='')
        except DomainError:
            pass

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(attempt, range(16)))
    assert attempts('mfa_failed', 'wrong code') <= 5
