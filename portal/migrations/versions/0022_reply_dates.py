"""reply dates: threads the office owes a reply to (status open) without an expected reply date get one

0011_messaging turned old open threads into `open` without the date, so they never showed "Expected reply
by", never counted as past the reply date in the staff queue and never reached the daily digest. Each gets
the practice's reply time in business days (weekends and US federal holidays skipped) after the practice's
calendar day of the patient's first message the office has not answered (the thread's start if none).
Downgrade changes nothing: the dates are valid under 0021 too.

Revision ID: 0022_reply_dates
Revises: 0021_desk
"""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from portal.clock import add_business_days

revision = '0022_reply_dates'
down_revision = '0021_desk'
branch_labels = None
depends_on = None

_BATCH = 1_000
# per open thread without a date: the first patient message after the office's last (non-note) message
_WAITING_SINCE = sa.text("""
SELECT t.id, COALESCE(MIN(m.created_at), t.created_at) AS since
FROM message_thread t
LEFT JOIN message m ON m.thread_id = t.id AND m.author_role = 'patient' AND m.id > COALESCE(
    (SELECT MAX(o.id) FROM message o WHERE o.thread_id = t.id AND o.author_role <> 'patient'
     AND NOT o.internal_note), 0)
WHERE t.status = 'open' AND t.expected_reply_by IS NULL
GROUP BY t.id, t.created_at
""")


def _instant(value: object) -> datetime:
    """A stored UTC timestamp (a datetime on PostgreSQL, text on SQLite) as an aware datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def upgrade() -> None:
    connection = op.get_bind()
    settings = connection.execute(sa.text(
        'SELECT timezone, reply_business_days FROM practice_settings ORDER BY id LIMIT 1')).first()
    zone = ZoneInfo(settings[0] if settings else 'America/Chicago')
    days = settings[1] if settings else 2
    dates = [{'id': thread_id, 'due': add_business_days(_instant(since).astimezone(zone).date(), days)}
             for thread_id, since in connection.execute(_WAITING_SINCE).all()]
    for start in range(0, len(dates), _BATCH):
        connection.execute(sa.text('UPDATE message_thread SET expected_reply_by = :due WHERE id = :id'),
                           dates[start:start + _BATCH])


def downgrade() -> None:
    pass
