"""Password-reset email through a real SMTP server (aiosmtpd on loopback), on both databases."""
from __future__ import annotations

import email
import email.policy
import json
import re
import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlmodel import select

from portal.config import reload_settings
from portal.db import read_session
from portal.models import Notification
from portal.notify.email import send_email
from portal.services.identity import password_changes
from tests.factories import make_account, make_user


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Collector:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802
        self.recipients.append(list(envelope.rcpt_tos))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return '250 Message accepted for delivery'


def _check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b'mailer', b'p@ss:word')
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname='127.0.0.1', port=port, authenticator=_check_login,
                            auth_require_tls=False)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


def wait_for_mail(collector: Collector, count: int = 1, seconds: float = 10) -> None:
    """Reset mail is sent from a background thread (so timing reveals nothing): wait for it."""
    deadline = time.monotonic() + seconds
    while len(collector.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    for thread in threading.enumerate():
        if thread.name == 'reset-mail':
            thread.join(seconds)


def test_reset_email_arrives_with_the_link_and_no_phi(db: str, smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    account, _ = make_account(account_number='A777001', guarantor_first_name='Maria', guarantor_last_name='Okafor',
                              patients=[{'first_name': 'Maria', 'last_name': 'Okafor',
                                         'date_of_birth': date(1979, 11, 23)}])
    make_user(email='maria@example.com', first_name='Maria', last_name='Okafor', account=account)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('PORTAL_SMTP_URL', f'smtp://127.0.0.1:{port}')
        patch.setenv('PORTAL_BASE_URL', 'https://billing.example.com')
        reload_settings()
        try:
            password_changes.request_password_reset(email='maria@example.com', ip='203.0.113.7')
            wait_for_mail(collector)
        finally:
            patch.undo()
            reload_settings()

    [message] = collector.messages
    assert collector.recipients == [['maria@example.com']]
    assert message['To'] == 'maria@example.com'
    assert message['Subject'] == 'Reset your Riverside Family Medicine portal password'
    assert 'billing@example.com' in message['From']
    body = message.get_content()
    with read_session() as session:
        [notification] = session.exec(select(Notification)).all()
    assert 'link' not in json.loads(notification.context_json)  # the link exists only in the message
    [link] = re.findall(r'https://billing\.example\.com/reset\?token=[\w-]+', body)
    assert link.rsplit('=', 1)[1] not in notification.context_json
    assert 'Hi Maria,' in body and '30 minutes' in body
    for phi in ('Okafor', '1979', '11/23', 'A777001'):
        assert phi not in body and phi not in message['Subject']
    assert (notification.status, notification.attempts) == ('sent', 1)

    token = link.rsplit('=', 1)[1]
    password_changes.reset_password(token=token, new_password='amber-kettle-orchard-93',
                            password_confirm='amber-kettle-orchard-93', ip='203.0.113.7')


def test_send_email_logs_in_with_url_credentials(smtp_server: tuple[Collector, int]) -> None:
    collector, port = smtp_server
    send_email(smtp_url=f'smtp://mailer:p%40ss%3Aword@127.0.0.1:{port}', sender='billing@example.com',
               sender_name='Riverside Family Medicine', to='maria@example.com', subject='Hello', body='Plain text.')
    [message] = collector.messages
    assert message['From'] == 'Riverside Family Medicine <billing@example.com>'
    assert message.get_content().strip() == 'Plain text.'

    with pytest.raises(smtplib.SMTPAuthenticationError):
        send_email(smtp_url=f'smtp://mailer:wrong@127.0.0.1:{port}', sender='billing@example.com',
                   to='maria@example.com', subject='Hello', body='Plain text.')


def test_reminders_arrive_over_smtp_and_a_paid_bill_is_not_reminded(db: str, smtp_server: tuple[Collector, int]
                                                                      ) -> None:
    from portal.jobs import notifications, reminders
    from tests.support.notify_data import billed_household, outbox, pay_off

    collector, port = smtp_server
    owing = billed_household(last_name='Okafor')
    paid = billed_household(last_name='Whitfield')
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv('PORTAL_SMTP_URL', f'smtp://127.0.0.1:{port}')
        patch.setenv('PORTAL_BASE_URL', 'https://billing.example.com')
        reload_settings()
        try:
            assert reminders.run() == 2
            pay_off(paid)
            assert notifications.run() == 1
            assert notifications.run() == 0  # nothing twice
        finally:
            patch.undo()
            reload_settings()

    [message] = collector.messages
    assert collector.recipients == [[owing.email]]
    assert message['Subject'] == 'You have a new statement from Riverside Family Medicine'
    body = message.get_content()
    assert f'https://billing.example.com/statements/{owing.statement_id}' in body and 'Hi Maria,' in body
    assert 'Okafor' not in body and '1979' not in body
    statuses = {row.recipient: (row.status, row.last_error) for row in outbox()}
    assert statuses == {owing.email: ('sent', ''), paid.email: ('suppressed', 'nothing owed')}
