"""Password reset (a PHI-free email, a link that works once for 30 minutes) and change."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlmodel import select

from portal.clock import utcnow
from portal.db import read_session
from portal.errors import NotFound, RateLimited, ValidationFailed
from portal.models import Notification, PasswordResetToken, RateLimitHit
from portal.services.identity import password_changes, sessions
from portal.services.identity.password_changes import TokenInvalid
from portal.services.identity.sessions import SignInFailed
from tests.factories import STRONG_PASSWORD, make_account, make_user
from tests.unit.services.identity.rows import IP, NEW_PASSWORD, audit_rows, count_rows, user_row


def _token_from_outbox() -> str:
    """The token of the link the sender renders into the newest message (the row itself holds none)."""
    from portal.services import send_time
    with read_session() as session:
        notification = session.exec(select(Notification).order_by(Notification.id.desc())).first()
    link = send_time.complete(notification.template, notification.dedupe_key, json.loads(notification.context_json))
    return parse_qs(urlsplit(str(link['link'])).query)['token'][0]


def test_reset_request_enqueues_a_phi_free_email(db: str) -> None:
    account, _ = make_account()
    user = make_user(email='maria@example.com', first_name='Maria', account=account)
    password_changes.request_password_reset(email=' MARIA@example.com', ip=IP)
    with read_session() as session:
        [notification] = session.exec(select(Notification)).all()
        [token] = session.exec(select(PasswordResetToken)).all()
    assert (notification.channel, notification.template, notification.recipient) == (
        'email', 'password_reset', 'maria@example.com')
    assert notification.dedupe_key == f'password_reset:{token.id}' and notification.user_id == user.id
    context = json.loads(notification.context_json)
    assert context == {'first_name': 'Maria'}  # no link: it is made as the email is sent
    raw = _token_from_outbox()
    with read_session() as session:
        token = session.get(PasswordResetToken, token.id)
    assert token.token_hash != raw and len(token.token_hash) == 64  # only the digest is stored
    assert timedelta(minutes=29) < token.expires_at - utcnow() <= timedelta(minutes=30)
    assert account.account_number not in notification.context_json
    assert [event.actor_user_id for event in audit_rows('password_reset_requested')] == [user.id]


def test_reset_request_for_unknown_email_is_silent(db: str) -> None:
    assert password_changes.request_password_reset(email='nobody@example.com', ip=IP) is None
    assert password_changes.request_password_reset(email='not an email', ip=IP) is None
    assert count_rows(Notification) == 0 and count_rows(PasswordResetToken) == 0


def test_reset_requests_are_rate_limited_silently(db: str, caplog: pytest.LogCaptureFixture) -> None:
    make_user(email='maria@example.com')
    with caplog.at_level('INFO'):
        for _ in range(5):
            password_changes.request_password_reset(email='maria@example.com', ip=IP)
    assert count_rows(PasswordResetToken) == 3  # three per email per hour
    assert 'maria@example.com' not in caplog.text and 'rate limit' in caplog.text
    with read_session() as session:
        hits = session.exec(select(RateLimitHit)).all()
    assert hits and all('maria' not in row.key_hash for row in hits)  # the limit's rows exist, keyed by digest


def test_reset_token_works_once_and_clears_lockout(db: str) -> None:
    user = make_user(email='maria@example.com')
    for _ in range(4):
        with pytest.raises(SignInFailed):
            sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    with pytest.raises(RateLimited):
        sessions.sign_in(email='maria@example.com', password='wrong-password-123', ip=IP)
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    first = _token_from_outbox()
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    second = _token_from_outbox()

    password_changes.reset_password(token=second, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    with pytest.raises(TokenInvalid, match='expired or was already used'):
        password_changes.reset_password(token=second, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    with pytest.raises(TokenInvalid):  # the other outstanding link died with the change
        password_changes.reset_password(token=first, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    assert user_row(user.id).password_changed_at is not None
    sessions.sign_in(email='maria@example.com', password=NEW_PASSWORD, ip=IP)  # lockout cleared
    with pytest.raises(SignInFailed):
        sessions.sign_in(email='maria@example.com', password=STRONG_PASSWORD, ip=IP)
    [event] = audit_rows('password_changed')
    assert (event.actor_user_id, event.detail) == (user.id, 'reset')


def test_reset_token_expires_after_30_minutes(db: str) -> None:
    make_user(email='maria@example.com')
    start = utcnow()
    with time_machine.travel(start, tick=False) as traveller:
        password_changes.request_password_reset(email='maria@example.com', ip=IP)
        token = _token_from_outbox()
        traveller.shift(timedelta(minutes=30, seconds=1))
        with pytest.raises(TokenInvalid):
            password_changes.reset_password(token=token,
                                            new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
        traveller.move_to(start + timedelta(minutes=29))
        password_changes.reset_password(token=token, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)


def test_reset_checks_the_new_password(db: str) -> None:
    make_user(email='maria@example.com')
    password_changes.request_password_reset(email='maria@example.com', ip=IP)
    token = _token_from_outbox()
    with pytest.raises(ValidationFailed) as weak:
        password_changes.reset_password(token=token,
                                        new_password='password123456', password_confirm='password123456', ip=IP)
    assert 'password' in weak.value.field_errors
    with pytest.raises(ValidationFailed) as mismatch:
        password_changes.reset_password(token=token, new_password=NEW_PASSWORD, password_confirm='other', ip=IP)
    assert set(mismatch.value.field_errors) == {'password_confirm'}
    with pytest.raises(TokenInvalid):
        password_changes.reset_password(token='made-up',
                                        new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)
    password_changes.reset_password(token=token, new_password=NEW_PASSWORD, password_confirm=NEW_PASSWORD, ip=IP)


def test_change_password(db: str) -> None:
    user = make_user(email='maria@example.com')
    with pytest.raises(ValidationFailed) as wrong:
        password_changes.change_password(user_id=user.id, current_password='nope-nope-nope', new_password=NEW_PASSWORD,
                                 password_confirm=NEW_PASSWORD, ip=IP)
    assert set(wrong.value.field_errors) == {'current_password'}
    with pytest.raises(ValidationFailed) as same:
        password_changes.change_password(user_id=user.id, current_password=STRONG_PASSWORD,
                                         new_password=STRONG_PASSWORD,
                                 password_confirm=STRONG_PASSWORD, ip=IP)
    assert set(same.value.field_errors) == {'password'}
    password_changes.change_password(user_id=user.id, current_password=STRONG_PASSWORD, new_password=NEW_PASSWORD,
                             password_confirm=NEW_PASSWORD, ip=IP)
    sessions.sign_in(email='maria@example.com', password=NEW_PASSWORD, ip=IP)
    assert [event.detail for event in audit_rows('password_changed')] == ['changed']
    with pytest.raises(NotFound):
        password_changes.change_password(user_id=99999, current_password='x', new_password=NEW_PASSWORD,
                                 password_confirm=NEW_PASSWORD, ip=IP)
