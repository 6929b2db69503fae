"""Time in one place: aware UTC datetimes (SQLModel's UTCDateTime stores and returns them), so
tests can travel in time with time-machine, and the one function that turns an instant into the
practice's calendar day (`practice_day`)."""
from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return utcnow().date()


def practice_time(moment: datetime, *, zone: str | tzinfo) -> datetime:
    """An instant on the practice's wall clock (naive instants are UTC). `zone` is an IANA name or
    tzinfo: the stored one, from `portal.services.practice` (`zone_name`, `current_zone`)."""
    where = ZoneInfo(zone) if isinstance(zone, str) else zone
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(where)


def wall_time_exists(wall: datetime, zone: ZoneInfo) -> bool:
    """Whether a naive wall-clock time happens in `zone` (False inside the spring-forward gap)."""
    there = wall.replace(tzinfo=zone)
    return there.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


def wall_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of an existing naive wall-clock time (the first one when it happens twice)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def practice_day(moment: datetime | None = None, *, zone: str | tzinfo) -> date:
    """The practice's calendar day of an instant: every date shown to a person or written into a PDF,
    email, CSV or queue comes from here, never from `instant.date()` (a payment at 23:15 in Chicago is
    the next day in UTC). Naive instants are UTC; None means now; `zone` as for `practice_time`."""
    return practice_time(moment if moment is not None else utcnow(), zone=zone).date()
