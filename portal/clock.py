"""Time in one place: aware UTC datetimes (SQLModel's UTCDateTime stores and returns them), so
tests can travel in time with time-machine."""
from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def practice_today() -> date:
    """Today where the practice is: "this month" and "overdue" follow its calendar, not UTC's."""
    from zoneinfo import ZoneInfo

    from portal.config import get_settings
    return datetime.now(ZoneInfo(get_settings().practice_timezone)).date()
