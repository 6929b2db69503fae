"""Sending queued texts: quiet hours, per-person limits, and the outbox sweep for the sms channel.

Rules, in the practice's time zone: no text in the practice's quiet hours (21:00 to 08:00 unless an admin
set others in the practice settings; it waits until they end); at most
one text a calendar day and three in any seven days to one number (it waits for the first day it
fits). A message that is no longer wanted is suppressed instead (the caller's `still_wanted`, from
portal.services.due). Rows are claimed ('sending', with a lease) in one transaction, serialized
between processes, so two senders never pass a limit or send one row twice. Logs name row ids and
error types, never a number or a body.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import Session, col, or_, select

from portal.clock import practice_day, utcnow
from portal.db import write_session
from portal.models import Notification, PracticeSettings
from portal.notify import templates
from portal.notify.email import Claimed, Sender, StillWanted
from portal.notify.outbox import context_of
from portal.notify.sms import SmsError, get_provider

log = logging.getLogger(__name__)

QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
Quiet = tuple[time, time]  # (from, until): overnight, from > until
DEFAULT_QUIET: Quiet = (QUIET_FROM, QUIET_UNTIL)
PER_DAY = 1
PER_WEEK = 3
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=10)
CLAIM_LOCK_KEY = 0x5E7715  # PostgreSQL advisory lock serializing the text claim


def quiet_hours(session: Session) -> Quiet:
    """The practice's quiet hours for texts (its settings row; 21:00 to 08:00 without one)."""
    row = session.exec(select(PracticeSettings.quiet_hours_start, PracticeSettings.quiet_hours_end)
                       .order_by(col(PracticeSettings.id)).limit(1)).first()
    return (time(row[0]), time(row[1])) if row is not None else DEFAULT_QUIET


def _at_opening(day: date, zone: ZoneInfo, quiet: Quiet = DEFAULT_QUIET) -> datetime:
    return datetime.combine(day, quiet[1], tzinfo=zone).astimezone(UTC)


def outside_quiet_hours(moment: datetime, zone: ZoneInfo, quiet: Quiet = DEFAULT_QUIET) -> datetime:
    """`moment` if a text may go then, else the end of the quiet hours (08:00 by default) in the
    practice's time zone."""
    local = moment.astimezone(zone)
    quiet_from, quiet_until = quiet
    if quiet_until <= local.time() < quiet_from:
        return moment
    day = local.date() if local.time() < quiet_until else local.date() + timedelta(days=1)
    return _at_opening(day, zone, quiet)


def first_day_within_limits(sent: list[datetime], now: datetime, zone: ZoneInfo) -> date:
    """The first practice day from today on which one more text keeps to 1 a day and 3 a week."""
    days = [practice_day(moment, zone=zone) for moment in sent]
    candidate = practice_day(now, zone=zone)
    for _ in range(PER_WEEK + 8):
        same_day = sum(1 for day in days if day == candidate)
        week = sum(1 for day in days if candidate - timedelta(days=6) <= day <= candidate)
        if same_day < PER_DAY and week < PER_WEEK:
            break
        candidate += timedelta(days=1)
    return candidate


def earliest_send(sent: list[datetime], now: datetime, zone: ZoneInfo, quiet: Quiet = DEFAULT_QUIET) -> datetime:
    """When a text to a number that was sent texts at `sent` may go, at `now` or later."""
    day = first_day_within_limits(sent, now, zone)
    start = now if day == practice_day(now, zone=zone) else _at_opening(day, zone, quiet)
    return outside_quiet_hours(start, zone, quiet)


def deliver_pending_sms(limit: int = 100, *, still_wanted: StillWanted,
                        zone_of: Callable[[Session], ZoneInfo], sender: Sender) -> int:
    """Send due texts through the configured provider; returns how many were sent. `zone_of` gives the
    practice's time zone (services.practice.practice_zone), which sets the quiet hours and day limits;
    `sender` names the practice in the text."""
    provider = get_provider()
    if not provider.enabled:
        return 0
    claimed = _claim(limit, still_wanted, zone_of)
    sent = 0
    for item in claimed:
        try:
            body = templates.render_sms(item.template, {'practice': sender.name, 'practice_phone': sender.phone,
                                                        **item.context})
            provider.send(to=item.recipient, body=body, reference=f'notification-{item.id}')
        except Exception as error:  # noqa: BLE001 - recorded on the row; the batch goes on
            _record_failure(item, error)
        else:
            _record(item.id, status='sent', error='')
            sent += 1
    return sent


def _recent_sends(session: Session, recipients: set[str], since: datetime) -> dict[str, list[datetime]]:
    if not recipients:
        return {}
    rows = session.exec(select(Notification.recipient, Notification.sent_at).where(
        Notification.channel == 'sms', col(Notification.recipient).in_(recipients),
        col(Notification.status).in_(('sent', 'sending')), col(Notification.sent_at) >= since)).all()
    found: dict[str, list[datetime]] = {}
    for recipient, sent_at in rows:
        found.setdefault(recipient, []).append(sent_at)
    return found


def _claim(limit: int, still_wanted: StillWanted, zone_of: Callable[[Session], ZoneInfo]) -> list[Claimed]:
    now = utcnow()
    with write_session() as session:
        if session.get_bind().dialect.name == 'postgresql':
            session.connection().execute(text('SELECT pg_advisory_xact_lock(:key)'), {'key': CLAIM_LOCK_KEY})
        rows = session.exec(
            select(Notification)
            .where(Notification.channel == 'sms', or_(Notification.status == 'pending',
                                                      Notification.status == 'sending'),
                   Notification.send_after <= now)
            .order_by(Notification.send_after, Notification.id)
            .limit(limit)).all()
        if not rows:
            return []
        zone = zone_of(session)
        quiet = quiet_hours(session)
        history = _recent_sends(session, {row.recipient for row in rows}, now - timedelta(days=8))
        claimed = []
        for row in rows:
            reason = still_wanted(session, row)
            if reason is not None:
                row.status, row.last_error, row.sent_at = 'suppressed', reason, None
                session.add(row)
                continue
            sends = [moment for moment in history.get(row.recipient, []) if row.status != 'sending'
                     or moment != row.sent_at]
            when = earliest_send(sends, now, zone, quiet)
            if when > now:  # quiet hours or the person's limit: wait, then check again
                row.status, row.send_after, row.sent_at = 'pending', when, None
                session.add(row)
                continue
            row.status, row.attempts, row.send_after, row.sent_at = 'sending', row.attempts + 1, now + LEASE, now
            session.add(row)
            history.setdefault(row.recipient, []).append(now)
            claimed.append(Claimed(id=row.id, recipient=row.recipient, template=row.template,
                                    context=context_of(row), attempts=row.attempts))
    return claimed


def _record(notification_id: int, *, status: str, error: str, retry_at: datetime | None = None) -> None:
    with write_session() as session:
        row = session.get(Notification, notification_id)
        if row is None:
            return
        row.status, row.last_error = status, error[:300]
        if status == 'sent':
            row.sent_at = utcnow()
        else:
            row.sent_at = None
        if retry_at is not None:
            row.send_after = retry_at
        session.add(row)


def _record_failure(item: Claimed, error: Exception) -> None:
    permanent = (isinstance(error, SmsError) and error.permanent) or isinstance(error, KeyError | ValueError)
    give_up = permanent or item.attempts >= MAX_ATTEMPTS
    log.warning('Text notification %s not sent (attempt %s%s): %s', item.id, item.attempts,
                ', giving up' if give_up else '', type(error).__name__)
    if give_up:
        _record(item.id, status='failed', error=f'{type(error).__name__}: {error}')
    else:
        _record(item.id, status='pending', error=f'{type(error).__name__}: {error}',
                retry_at=utcnow() + timedelta(minutes=2 ** item.attempts))
