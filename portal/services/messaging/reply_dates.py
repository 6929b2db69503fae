"""The day the billing office promises to answer by: N business days after a patient writes (N is the
practice's `reply_business_days`, default 2), skipping weekends and US federal holidays (as observed)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from sqlmodel import Session

from portal.services.practice import practice


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


def expected_reply_by(session: Session, /, *, sent_at: datetime) -> date:
    """When the office owes an answer to a patient message sent at `sent_at` (UTC): counted from the
    practice's calendar day of the message."""
    place = practice(session)
    return add_business_days(place.day_of(sent_at), place.reply_business_days)
