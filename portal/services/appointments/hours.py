"""Opening hours as wall-clock arithmetic, with no database: a provider's windows on one local day
(weekly hours, plus extra hours, less time off), and the open start times inside them as UTC instants.

Windows are minutes of the local day (0-1440) in the location's zone; they become instants only at the
end (`instant`), so 9:00-17:00 stays 9:00-17:00 across daylight-saving changes. A wall time that does not
exist (the spring-forward hour) is never offered; in the repeated fall-back hour the first one is meant.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal.clock import wall_instant as instant
from portal.clock import wall_time_exists as exists
from portal.models.schedule import GRANULE_MINUTES, granule_of, granule_starts
from portal.reference.holidays import holiday

__all__ = ['DAY', 'OpenStart', 'Window', 'end_minutes', 'exists', 'granule_of', 'granule_starts', 'holiday',
           'instant', 'merge', 'minutes', 'open_starts', 'subtract', 'wall_clock']

Window = tuple[int, int]  # [start, end) in minutes of the local day
DAY = 24 * 60


def minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def end_minutes(value: time) -> int:
    """An end time; 23:59 counts as the end of the day."""
    return DAY if (value.hour, value.minute) == (23, 59) else minutes(value)


def merge(windows: Iterable[Window]) -> list[Window]:
    merged: list[list[int]] = []
    for start, end in sorted(window for window in windows if window[0] < window[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def subtract(windows: list[Window], taken: Iterable[Window]) -> list[Window]:
    result = windows
    for cut_start, cut_end in taken:
        pieces: list[Window] = []
        for start, end in result:
            if cut_end <= start or cut_start >= end:
                pieces.append((start, end))
                continue
            if start < cut_start:
                pieces.append((start, cut_start))
            if cut_end < end:
                pieces.append((cut_end, end))
        result = pieces
    return result


def wall_clock(day: date, minute: int) -> datetime:
    """The naive local wall-clock time `minute` minutes into `day`."""
    return datetime.combine(day, time(0)) + timedelta(minutes=minute)


@dataclass(frozen=True)
class OpenStart:
    starts_at: datetime  # UTC
    local: datetime  # the same instant in the location's zone


def open_starts(day: date, windows: list[Window], *, zone: ZoneInfo, duration: int, step: int,
                busy: set[int] | frozenset[int] = frozenset(), after: datetime | None = None) -> Iterator[OpenStart]:
    """Start times on `day` whose whole visit (`duration` minutes) fits in one window, counted in wall-clock
    minutes of the start and end (so no visit runs past 17:00 when the clocks change), whose granules
    (`granule_of`) are not in `busy`, and that begin after `after`. Starts are every `step` minutes from
    each window's start; wall times that do not exist are skipped.

    A day without a clock change (all but two a year) is plain arithmetic from local midnight; the two
    change days take the careful path, converting each start and end."""
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    steady = midnight.utcoffset() == next_midnight.utcoffset() and \
        (next_midnight.astimezone(UTC) - midnight.astimezone(UTC)) == timedelta(days=1)
    if not steady:
        yield from _careful_starts(day, windows, zone=zone, duration=duration, step=step, busy=busy, after=after)
        return
    base = midnight.astimezone(UTC)
    first_granule = granule_of(base)
    per_visit = -(-duration // GRANULE_MINUTES)
    for window_start, window_end in windows:
        for minute in range(window_start, window_end - duration + 1, step):
            start = base + timedelta(minutes=minute)
            if after is not None and start <= after:
                continue
            if busy:
                first = first_granule + minute // GRANULE_MINUTES
                if any(first + offset in busy for offset in range(per_visit)):
                    continue
            yield OpenStart(start, midnight + timedelta(minutes=minute))


def _careful_starts(day: date, windows: list[Window], *, zone: ZoneInfo, duration: int, step: int,
                    busy: set[int] | frozenset[int], after: datetime | None) -> Iterator[OpenStart]:
    granules_per_visit = -(-duration // GRANULE_MINUTES)
    for window_start, window_end in windows:
        for minute in range(window_start, window_end - duration + 1, step):
            wall = wall_clock(day, minute)
            if not exists(wall, zone):
                continue
            start = instant(wall, zone)
            if after is not None and start <= after:
                continue
            local_end = (start + timedelta(minutes=duration)).astimezone(zone)
            end_minute = (local_end.date() - day).days * DAY + local_end.hour * 60 + local_end.minute
            if end_minute > window_end:
                continue
            first = granule_of(start)
            if busy and any(first + offset in busy for offset in range(granules_per_visit)):
                continue
            yield OpenStart(start, start.astimezone(zone))
