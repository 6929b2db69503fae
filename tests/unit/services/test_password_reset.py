"""Reset links at rest: the database holds only digests of reset tokens; the link is made as the email
is sent, rendered into the message, and never stored (not in the outbox row, not in the reset row)."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.clock import utcnow
from portal.db import read_session
from portal.models import Notification, PasswordResetToken
from portal.services import delivery
from portal.services.identity import password_changes
from portal.services.identity.password_changes import TokenInvalid
from tests.factories import make_user

NEW = 'amber-kettle-orchard-93'
LINK = re.compile(r'http://127\.0\.0\.1:8080/reset\?token=([\w-]+)')


@pytest.fixture
def sent(sent: list[dict], monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """Email on (SMTP faked, the conftest's `sent`), sent by the test rather than a background thread."""
    monkeypatch.setattr(password_changes, '_deliver_now', lambda: None)
    return sent


def rows() -> tuple[Notification, PasswordResetToken]:
    with read_session() as session:
        return (session.exec(select(Notification)).one(), session.exec(select(PasswordResetToken)).one())


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_the_outbox_row_carries_no_usable_token_and_the_sent_link_works(sent: list[dict]) -> None:
    make_user(email='maria@example.com', first_name='Maria')
    password_changes.request_password_reset(email='maria@example.com', ip='203.0.113.7')
    queued, reset = rows()
    assert queued.context_json == '{"first_name": "Maria"}'
    placeholder = reset.token_hash

    assert delivery.deliver_pending() == 1
    [message] = sent
    [token] = LINK.findall(message['body'])
    queued, reset = rows()
    assert queued.status == 'sent' and token not in queued.context_json + queued.last_error
    assert reset.token_hash == digest(token) != placeholder  # the digest of what was sent, never the token
    password_changes.reset_password(token=token, new_password=NEW, password_confirm=NEW, ip='')
    with pytest.raises(TokenInvalid):
        password_changes.reset_password(token=token, new_password=NEW + 'x', password_confirm=NEW + 'x', ip='')


def test_a_retry_sends_a_new_link_and_the_earlier_one_stops_working(sent: list[dict]) -> None:
    from portal.services.password_reset import mint_link
    make_user(email='maria@example.com')
    password_changes.request_password_reset(email='maria@example.com', ip='')
    queued, reset = rows()
    first = mint_link(reset.id)
    assert delivery.deliver_pending() == 1
    [token] = LINK.findall(sent[0]['body'])
    assert first is not None and token not in first
    with pytest.raises(TokenInvalid):
        password_changes.reset_password(token=first.rsplit('=', 1)[1], new_password=NEW, password_confirm=NEW, ip='')
    password_changes.reset_password(token=token, new_password=NEW, password_confirm=NEW, ip='')


def test_an_expired_reset_is_not_sent(sent: list[dict]) -> None:
    make_user(email='maria@example.com')
    password_changes.request_password_reset(email='maria@example.com', ip='')
    with time_machine.travel(utcnow() + timedelta(minutes=31)):
        assert delivery.deliver_pending() == 0
    queued, _ = rows()
    assert sent == [] and queued.status == 'suppressed'
