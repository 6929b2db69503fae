"""Time in one place: aware UTC datetimes (SQLModel's UTCDateTime stores and returns them), so
tests can travel in time with time-machine, and the one function that turns an instant into the
practice's calendar day (`practice_day`), and business days (weekdays that are not US federal holidays).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays


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


@lru_cache(maxsize=16)
def _federal(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays('US', years=year)


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a US federal holiday (the observed day when one falls on a weekend)."""
    return day.weekday() < 5 and day not in _federal(day.year)


def add_business_days(start: date, days: int) -> date:
    """The `days`-th business day after `start` (`start` itself never counts; 0 days: `start`)."""
    day, left = start, max(0, days)
    while left:
        day += timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day
