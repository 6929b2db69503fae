"""Time in one place: aware UTC datetimes (SQLModel's UTCDateTime stores and returns them), so
tests can travel in time with time-machine."""
from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()
