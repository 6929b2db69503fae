"""Email delivery over SMTP: one send function and the outbox sweep that uses it.

`PORTAL_SMTP_URL` forms: smtp://host:port, smtp://user:pass@host:587?starttls=1, smtps://host:465.
Without it, email notifications stay pending in the outbox. Logs name notification ids and error
types only: never a body, a link or an address.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from sqlmodel import Session, select

from portal.clock import utcnow
from portal.config import get_settings
from portal.db import write_session
from portal.models import Notification
from portal.notify import templates
from portal.notify.outbox import context_of

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)  # a claimed message is retried after this if the sender died mid-send
TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class Sender:
    """Who messages are from: the practice's name, phone and the envelope address (services.practice)."""
    name: str
    phone: str
    address: str


def send_email(*, smtp_url: str, sender: str, to: str, subject: str, body: str,
               sender_name: str = '') -> None:
    """Send one plain-text message; raises smtplib/OSError exceptions on failure."""
    parts = urlsplit(smtp_url)
    if parts.scheme not in {'smtp', 'smtps'}:
        raise ValueError('PORTAL_SMTP_URL must start with smtp:// or smtps://')
    host = parts.hostname or 'localhost'
    options = {key: values[-1].strip().lower() for key, values in parse_qs(parts.query).items()}
    starttls = options.get('starttls', '') in {'1', 'true', 'yes', 'on'}

    message = EmailMessage()
    message['From'] = formataddr((sender_name, sender)) if sender_name else sender
    message['To'] = to
    message['Subject'] = subject
    message['Date'] = formatdate(localtime=False)
    message['Message-ID'] = make_msgid(domain=sender.rpartition('@')[2] or None)
    message['Auto-Submitted'] = 'auto-generated'
    message.set_content(body)

    context = ssl.create_default_context()
    if parts.scheme == 'smtps':
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parts.port or 465, timeout=TIMEOUT_SECONDS,
                                                context=context)
    else:
        client = smtplib.SMTP(host, parts.port or (587 if starttls else 25), timeout=TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if starttls:
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ''))
        client.send_message(message)


@dataclass(frozen=True)
class Claimed:
    """An outbox row claimed for sending (shared with portal.notify.texts)."""
    id: int
    recipient: str
    template: str
    context: dict[str, object]
    attempts: int
    dedupe_key: str = ''


# Why a queued message is no longer wanted (None: send it); services decide (portal.services.due)
StillWanted = Callable[[Session, Notification], str | None]
# A message's context plus the fields made only as it is sent (portal.services.send_time.complete)
SendTimeFields = Callable[[str, str, dict[str, object]], dict[str, object]]


def deliver_pending(limit: int = 100, *, still_wanted: StillWanted, send_time_fields: SendTimeFields,
                    sender: Sender) -> int:
    """Send due email notifications (when PORTAL_SMTP_URL is set); returns how many were sent.

    Rows no longer wanted (`still_wanted`, see portal.services.due) turn 'suppressed' instead. Rows are claimed first
    (attempts + 1, send_after pushed out by a lease) in a short transaction,
    so two processes never send the same row at once; each row's outcome is then committed on its
    own, so one bad address does not stop the batch.
    """
    settings = get_settings()
    if not settings.smtp_url:
        return 0
    claimed = _claim(limit, still_wanted)
    if not claimed:
        return 0
    sent = 0
    for item in claimed:
        try:
            context = {'practice': sender.name, 'practice_phone': sender.phone,
                       **send_time_fields(item.template, item.dedupe_key, item.context)}
            subject, body = templates.render(item.template, context)
            send_email(smtp_url=settings.smtp_url, sender=sender.address, sender_name=sender.name,
                       to=item.recipient, subject=subject, body=body)
        except Exception as error:  # noqa: BLE001 - recorded on the row; the batch goes on
            _record_failure(item, error)
        else:
            _record_sent(item)
            sent += 1
    return sent


def _claim(limit: int, still_wanted: StillWanted) -> list[Claimed]:
    now = utcnow()
    with write_session() as session:
        rows = session.exec(
            select(Notification)
            .where(Notification.status == 'pending', Notification.channel == 'email',
                   Notification.send_after <= now)
            .order_by(Notification.send_after, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for row in rows:
            reason = still_wanted(session, row)
            if reason is not None:  # paid, cancelled or turned off since it was queued
                row.status, row.last_error = 'suppressed', reason
                session.add(row)
                continue
            row.attempts += 1
            row.send_after = now + LEASE
            session.add(row)
            claimed.append(Claimed(id=row.id, recipient=row.recipient, template=row.template,
                                    context=context_of(row), attempts=row.attempts, dedupe_key=row.dedupe_key))
    return claimed


def _permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused | templates.UnknownTemplate | KeyError | ValueError):
        return True
    return isinstance(error, smtplib.SMTPResponseException) and error.smtp_code >= 500


def _record_sent(item: Claimed) -> None:
    with write_session() as session:
        row = session.get(Notification, item.id)
        if row is not None:
            row.status = 'sent'
            row.sent_at = utcnow()
            row.last_error = ''
            session.add(row)


def _record_failure(item: Claimed, error: Exception) -> None:
    give_up = _permanent(error) or item.attempts >= MAX_ATTEMPTS
    logger.warning('Email notification %s not sent (attempt %s%s): %s', item.id, item.attempts,
                   ', giving up' if give_up else '', type(error).__name__)
    with write_session() as session:
        row = session.get(Notification, item.id)
        if row is None:
            return
        row.last_error = f'{type(error).__name__}: {error}'[:300]
        if give_up:
            row.status = 'failed'
        else:
            row.send_after = utcnow() + timedelta(minutes=2 ** item.attempts)
        session.add(row)
