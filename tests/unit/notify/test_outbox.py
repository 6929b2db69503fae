"""The notification outbox, message templates, and the email delivery sweep (SMTP faked here)."""
from __future__ import annotations

import json
import logging
import smtplib
from datetime import timedelta

import pytest
from sqlmodel import select

from portal.clock import utcnow
from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.models import Notification, PracticeSettings
from portal.notify import email as email_delivery
from portal.notify import templates
from portal.notify.outbox import enqueue
from portal.services import delivery

LINK = 'http://127.0.0.1:8080/statements/1'


def _enqueue(key: str = 'note:1', **overrides) -> Notification | None:
    values = {'channel': 'email', 'template': 'statement_ready', 'recipient': 'maria@example.com',
              'dedupe_key': key, 'context': {'first_name': 'Maria', 'link': LINK}, **overrides}
    with write_session() as session:
        return enqueue(session, **values)


def _rows() -> list[Notification]:
    with read_session() as session:
        return list(session.exec(select(Notification).order_by(Notification.id)).all())


@pytest.fixture
def smtp_on(db: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('PORTAL_SMTP_URL', 'smtp://127.0.0.1:2525')
        reload_settings()
        yield
    reload_settings()


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    sent: list[dict] = []
    monkeypatch.setattr(email_delivery, 'send_email', lambda **kwargs: sent.append(kwargs))
    return sent


def test_enqueue_is_idempotent_by_dedupe_key(db: str) -> None:
    first = _enqueue()
    assert first is not None and first.id is not None
    assert _enqueue() is None
    with write_session() as session:  # twice in one transaction, too
        assert enqueue(session, channel='email', template='statement_ready', recipient='a@example.com',
                       dedupe_key='note:2', context={'first_name': 'A', 'link': LINK}) is not None
        assert enqueue(session, channel='email', template='statement_ready', recipient='a@example.com',
                       dedupe_key='note:2', context={'first_name': 'A', 'link': LINK}) is None
    rows = _rows()
    assert [row.dedupe_key for row in rows] == ['note:1', 'note:2']
    assert json.loads(rows[0].context_json) == {'first_name': 'Maria', 'link': LINK}
    assert rows[0].status == 'pending' and rows[0].attempts == 0


def test_enqueue_refuses_fields_a_template_does_not_take(db: str) -> None:
    with pytest.raises(ValueError, match='date_of_service'):
        _enqueue(context={'first_name': 'Maria', 'link': LINK, 'date_of_service': '2026-01-02'})
    with pytest.raises(KeyError):
        _enqueue(template='no_such_template')
    with pytest.raises(ValueError, match='channel'):
        _enqueue(channel='fax')
    assert _rows() == []


def test_a_reset_link_cannot_be_queued(db: str) -> None:
    with pytest.raises(ValueError, match='only when it is sent'):
        with write_session() as session:
            enqueue(session, channel='email', template='password_reset', recipient='a@example.com',
                    dedupe_key='password_reset:9', context={'first_name': 'A', 'link': LINK})


def test_password_reset_template() -> None:
    subject, body = templates.render('password_reset', {'first_name': 'Maria', 'link': LINK})
    assert subject == 'Reset your Riverside Family Medicine portal password'
    assert 'Hi Maria,' in body and LINK in body
    assert 'expires in 30 minutes' in body
    assert "If you didn't ask, ignore this email" in body


def test_templates_take_no_phi() -> None:
    allowed = {'first_name', 'link', 'amount', 'receipt_number', 'statement_number', 'count',  # count: threads waiting
               'calendar_link'}  # a visit's .ics address behind sign-in: an id, nothing about the visit
    for name, template in templates.TEMPLATES.items():
        assert template.fields <= allowed, name
        subject, body = templates.render(name, {field: f'<{field}>' for field in template.fields})
        assert '{' not in subject + body, name  # every placeholder filled


def test_nothing_is_sent_without_an_smtp_url(db: str, outbox: list[dict]) -> None:
    _enqueue()
    assert delivery.deliver_pending() == 0
    assert outbox == []
    [row] = _rows()
    assert (row.status, row.attempts) == ('pending', 0)


def test_due_email_is_sent_and_marked(smtp_on: None, outbox: list[dict]) -> None:
    _enqueue('note:1')
    _enqueue('note:2', send_after=utcnow() + timedelta(hours=1))
    _enqueue('sms:1', channel='sms', recipient='+15550100')
    assert delivery.deliver_pending() == 1
    [message] = outbox
    assert message['to'] == 'maria@example.com' and message['smtp_url'] == 'smtp://127.0.0.1:2525'
    assert message['subject'] == 'You have a new statement from Riverside Family Medicine'
    assert LINK in message['body']
    sent, later, sms = _rows()
    assert (sent.status, sent.attempts, sent.last_error) == ('sent', 1, '') and sent.sent_at is not None
    assert later.status == 'pending' and sms.status == 'pending'
    assert delivery.deliver_pending() == 0  # nothing twice


def test_temporary_failure_is_retried_later(smtp_on: None, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    def down(**_kwargs) -> None:
        raise smtplib.SMTPServerDisconnected('Connection unexpectedly closed')

    monkeypatch.setattr(email_delivery, 'send_email', down)
    _enqueue()
    with caplog.at_level(logging.INFO):
        assert delivery.deliver_pending() == 0
    [row] = _rows()
    assert (row.status, row.attempts) == ('pending', 1)
    assert row.last_error.startswith('SMTPServerDisconnected')
    assert row.send_after > utcnow()
    assert 'maria@example.com' not in caplog.text and LINK not in caplog.text
    assert delivery.deliver_pending() == 0  # not due yet


def test_refused_recipient_fails_for_good(smtp_on: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs) -> None:
        raise smtplib.SMTPRecipientsRefused({kwargs['to']: (550, b'no such user')})

    monkeypatch.setattr(email_delivery, 'send_email', refuse)
    _enqueue()
    delivery.deliver_pending()
    [row] = _rows()
    assert (row.status, row.attempts) == ('failed', 1)


def test_gives_up_after_the_last_attempt(smtp_on: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(**_kwargs) -> None:
        raise ConnectionRefusedError(111, 'Connection refused')

    monkeypatch.setattr(email_delivery, 'send_email', down)
    _enqueue()
    for attempt in range(1, email_delivery.MAX_ATTEMPTS + 1):
        with write_session() as session:  # make it due again at once
            row = session.exec(select(Notification)).one()
            row.send_after = utcnow()
            session.add(row)
        delivery.deliver_pending()
        [row] = _rows()
        assert row.attempts == attempt
    assert row.status == 'failed'


def test_emails_come_from_the_stored_practice(smtp_on: None, outbox: list[dict]) -> None:
    with write_session() as session:
        session.add(PracticeSettings(name='Lakeside Pediatrics', phone='(555) 010-9999',
                                     from_address='billing@lakeside.example.com'))
    _enqueue()
    assert delivery.deliver_pending() == 1
    [message] = outbox
    assert (message['sender'], message['sender_name']) == ('billing@lakeside.example.com', 'Lakeside Pediatrics')
    assert message['subject'] == 'You have a new statement from Lakeside Pediatrics'
    assert '(555) 010-9999' in message['body']
