"""Two-step sign-in: enrolment, verification, rate-limited wrong codes."""
from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
import time_machine

from portal.clock import utcnow
from portal.errors import DomainError, RateLimited
from portal.services.identity import sessions, two_step
from tests.factories import make_user
from tests.unit.services.identity.rows import IP, audit_rows, user_row


def test_totp_enrolment_and_verification(db: str) -> None:
    staff = make_user(email='staff@example.com', role='staff')
    secret, uri = two_step.begin_totp_enrollment(user_id=staff.id)
    assert uri.startswith('otpauth://totp/') and secret in uri and 'staff%40example.com' in uri
    assert user_row(staff.id).totp_secret is None  # nothing stored yet

    with pytest.raises(DomainError, match='That code is not right'):
        two_step.confirm_totp_enrollment(user_id=staff.id, secret=secret, code='000000', ip=IP)
    assert user_row(staff.id).totp_secret is None
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        code = pyotp.TOTP(secret).now()
        two_step.confirm_totp_enrollment(user_id=staff.id, secret=secret, code=f'{code[:3]} {code[3:]}', ip=IP)
        assert user_row(staff.id).totp_enabled_at is not None
        assert sessions.get_identity(staff.id).mfa_enrolled
        with pytest.raises(DomainError, match='already set up'):
            two_step.confirm_totp_enrollment(user_id=staff.id, secret=secret, code=code, ip=IP)

        who = two_step.verify_totp(user_id=staff.id, code=code, ip=IP)
        assert who.user_id == staff.id
        with pytest.raises(DomainError, match='already used'):  # a code works once
            two_step.verify_totp(user_id=staff.id, code=code, ip=IP)
        traveller.shift(timedelta(seconds=30))
        two_step.verify_totp(user_id=staff.id, code=pyotp.TOTP(secret).now(), ip=IP)
    actions = [event.action for event in audit_rows() if event.action.startswith('mfa_')]
    assert actions == ['mfa_failed', 'mfa_enrolled', 'mfa_verified', 'mfa_failed', 'mfa_verified']


def test_totp_wrong_codes_are_rate_limited(db: str) -> None:
    secret = pyotp.random_base32()
    staff = make_user(email='staff@example.com', role='staff', totp_secret=secret)
    for _ in range(5):
        with pytest.raises(DomainError, match='That code is not right'):
            two_step.verify_totp(user_id=staff.id, code='000000', ip=IP)
    with pytest.raises(RateLimited, match='wait 15 minutes'):
        two_step.verify_totp(user_id=staff.id, code=pyotp.TOTP(secret).now(), ip=IP)


def test_totp_needs_enrolment(db: str) -> None:
    staff = make_user(email='staff@example.com', role='staff')
    with pytest.raises(DomainError, match='not set up'):
        two_step.verify_totp(user_id=staff.id, code='123456', ip=IP)
    with pytest.raises(DomainError, match='set-up key'):
        two_step.confirm_totp_enrollment(user_id=staff.id, secret='not base32!', code='123456', ip=IP)
