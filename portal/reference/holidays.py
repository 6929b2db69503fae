"""Public holidays that close the practice: US federal ones, plus the practice's state's when it has one
(`PracticeSettings.holiday_state`), from the `holidays` package."""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _year(state: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays('US', subdiv=state or None, years=year))


def holiday(day: date, state: str = '') -> str | None:
    """The name of the public holiday on `day` (US, plus `state`'s when given), or None."""
    return _year(state, day.year).get(day)
