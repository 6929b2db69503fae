"""Sign-in and sign-out: audited, failures alike whatever the reason, lockouts by address, hashes upgraded."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from argon2 import PasswordHasher

from portal.auth import passwords
from portal.clock import utcnow
from portal.db import write_session
from portal.errors import RateLimited
from portal.models import User
from portal.services.identity import sessions, shared
from portal.services.identity.sessions import SignInFailed
from tests.factories import STRONG_PASSWORD, make_user
from tests.unit.services.identity.rows import IP, audit_rows, user_row


def test_sign_in_succeeds_and_is_audited(db: str) -> None:
    user = make_user(email='maria@example.com', first_name='Maria')
    who = sessions.sign_in(email='  Maria@Example.com ', password=STRONG_PASSWORD, ip=IP)
    assert who == shared.Identity(user_id=user.id, role='patient', email='maria@example.com', first_name='Maria',
                                    needs_mfa=False, mfa_enrolled=False)
    assert user_row(user.id).last_sign_in_at is not None
    [event] = audit_rows('sign_in')
    assert (event.actor_user_id, event.outcome, event.source_ip) == (user.id, 'ok', IP)


def test_wrong_password_and_unknown_email_fail_alike(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(email='maria@example.com')
    checked: list[str] = []
    real_verify = sessions.verify_password
    monkeypatch.setattr(sessions, 'verify_password', lambda h, p: checked.append(h) or real_verify(h, p))

    with pytest.raises(SignInFailed) as wrong:
        sessions.sign_in(email='maria@example.com', password='not-the-password-at-all', ip=IP)
    with pytest.raises(SignInFailed) as unknown:
        sessions.sign_in(email='nobody@example.com', password=STRONG_PASSWORD, ip=IP)
    assert wrong.value.message == unknown.value.message == 'The email or password is not right.'
    assert checked[1] == passwords.DUMMY_HASH  # the unknown email costs an argon2 verification too
    events = audit_rows('sign_in_failed')
    assert [event.outcome for event in events] == ['failed', 'failed']
    assert [event.detail for event in events] == ['wrong password', 'unknown email']  # no email, no password


def test_inactive_user_gets_the_generic_failure(db: str) -> None:
    make_user(email='gone@example.com', is_active=False)
    with pytest.raises(SignInFailed, match='email or password is not right'):
        sessions.sign_in(email='gone@example.com', password=STRONG_PASSWORD, ip=IP)


def test_lockout_after_five_failures_from_one_address(db: str) -> None:
    user = make_user(email='maria@example.com')
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited) as locked:  # the fifth failure locks this address out of the account
        sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    assert 'wait 15 minutes' in locked.value.message and 'reset your password' in locked.value.message
    assert user_row(user.id).failed_sign_ins == 5
    with pytest.raises(RateLimited):  # even the right password waits, from this address
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    with time_machine.travel(utcnow() + timedelta(minutes=15, seconds=5)):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    assert user_row(user.id).failed_sign_ins == 0


def test_unknown_emails_lock_too(db: str) -> None:
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='nobody@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited):  # same answer as for a real account: no enumeration
        sessions.sign_in(email='nobody@example.com', password='wrong-password-123', ip=IP)


def test_success_clears_the_failure_count(db: str) -> None:
    make_user(email='maria@example.com')
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)


def test_address_limit(db: str) -> None:
    make_user(email='maria@example.com')
    for number in range(30):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email=f'guess{number}@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited, match='Too many attempts. Please wait 15 minutes'):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip='198.51.100.1')


def test_old_hash_is_upgraded_on_sign_in(db: str) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(STRONG_PASSWORD)
    user = make_user(email='maria@example.com')
    with write_session() as session:
        row = session.get(User, user.id)
        row.password_hash = weak
        session.add(row)
    sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    upgraded = user_row(user.id).password_hash
    assert upgraded != weak and not passwords.needs_rehash(upgraded)
    assert passwords.verify_password(upgraded, STRONG_PASSWORD)


def test_staff_needs_mfa_unless_demo_exempt(db: str) -> None:
    staff = make_user(email='staff@example.com', role='staff')
    demo = make_user(email='demo-staff@example.com', role='staff', mfa_exempt=True)
    assert sessions.sign_in(email='staff@example.com', password=STRONG_PASSWORD, ip=IP).needs_mfa
    assert not sessions.sign_in(email='demo-staff@example.com', password=STRONG_PASSWORD, ip=IP).needs_mfa
    assert sessions.get_identity(staff.id).needs_mfa and not sessions.get_identity(demo.id).needs_mfa


def test_sign_out_and_get_identity(db: str) -> None:
    user = make_user(email='maria@example.com')
    gone = make_user(email='gone@example.com', is_active=False)
    assert sessions.get_identity(user.id).email == 'maria@example.com'
    assert sessions.get_identity(gone.id) is None and sessions.get_identity(99999) is None
    sessions.sign_out(user_id=user.id, ip=IP)
    [event] = audit_rows('sign_out')
    assert event.actor_user_id == user.id
