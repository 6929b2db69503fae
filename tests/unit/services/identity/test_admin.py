"""Users made from the command line, and housekeeping of dead security rows."""
from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from portal.clock import utcnow
from portal.errors import ValidationFailed
from portal.models import PasswordResetToken, RateLimitHit
from portal.services.identity import admin, password_changes, sessions
from portal.services.identity.sessions import SignInFailed
from tests.factories import STRONG_PASSWORD, make_user
from tests.unit.services.identity.rows import IP, count_rows


def test_create_user(db: str) -> None:
    user_id = admin.create_user(email='Admin@Example.com', password=STRONG_PASSWORD, role='admin',
                                   first_name='Ada', last_name='Byron')
    assert sessions.get_identity(user_id).role == 'admin'
    with pytest.raises(ValidationFailed) as duplicate:
        admin.create_user(email='admin@example.com', password=STRONG_PASSWORD, role='staff')
    assert 'email' in duplicate.value.field_errors
    with pytest.raises(ValidationFailed) as bad:
        admin.create_user(email='x', password='short', role='wizard')
    assert set(bad.value.field_errors) == {'email', 'password', 'role'}


def test_purge_expired_security_rows(db: str) -> None:
    make_user(email='maria@example.com')
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    with pytest.raises(SignInFailed):
        sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    assert admin.purge_expired_security_rows() == 0
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        # 1 token + 2 reset-request hits + 3 sign-in failure hits (address, account from it, account)
        assert admin.purge_expired_security_rows() == 6
    assert count_rows(RateLimitHit) == 0 and count_rows(PasswordResetToken) == 0
