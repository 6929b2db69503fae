"""Open start times across daylight-saving changes: a property test over random dates and US zones, plus
the two change days spelled out."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.services.appointments import hours

US_ZONES = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles',
            'America/Anchorage', 'Pacific/Honolulu', 'America/Indiana/Indianapolis', 'America/Detroit',
            'America/Boise']


def _starts(day: date, zone: str, windows: list[tuple[int, int]], duration: int = 30, step: int = 15,
            busy: frozenset[int] = frozenset()) -> list[hours.OpenStart]:
    return list(hours.open_starts(day, windows, zone=ZoneInfo(zone), duration=duration, step=step, busy=busy))


@settings(max_examples=300, deadline=None)
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2037, 12, 31)), zone=st.sampled_from(US_ZONES),
       start=st.integers(0, 23 * 60).map(lambda minute: minute - minute % 5),
       length=st.integers(30, 24 * 60), duration=st.sampled_from([15, 30, 45, 60]), step=st.sampled_from([5, 15, 30]))
def test_every_open_start_is_a_real_local_time_inside_the_window(day: date, zone: str, start: int, length: int,
                                                                 duration: int, step: int) -> None:
    where = ZoneInfo(zone)
    window = (start, min(start + length, hours.DAY))
    found = _starts(day, zone, [window], duration, step)
    instants = [opening.starts_at for opening in found]
    assert instants == sorted(set(instants))  # each instant once, in order
    for opening in found:
        local = opening.starts_at.astimezone(where)
        wall = local.replace(tzinfo=None)
        assert local.date() == day and local == opening.local
        assert hours.exists(wall, where)  # never a time the clocks skip
        assert window[0] <= local.hour * 60 + local.minute < window[1]
        assert (local.hour * 60 + local.minute - window[0]) % step == 0  # on the wall-clock grid
        end = (opening.starts_at + timedelta(minutes=duration)).astimezone(where)
        end_minute = (end.date() - day).days * hours.DAY + end.hour * 60 + end.minute
        assert end_minute <= window[1]  # the visit ends inside the window on the wall clock
    # a day without a change offers what the wall-clock window holds
    if datetime.combine(day, datetime.min.time(), where).utcoffset() == \
            datetime.combine(day + timedelta(days=1), datetime.min.time(), where).utcoffset():
        expected = len(range(window[0], window[1] - duration + 1, step))
        assert len(found) == expected


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2037, 12, 31)), zone=st.sampled_from(US_ZONES))
def test_nine_to_five_keeps_its_wall_clock_hours_on_any_day(day: date, zone: str) -> None:
    found = _starts(day, zone, [(9 * 60, 17 * 60)])
    assert [opening.local.strftime('%H:%M') for opening in found][::8] == ['09:00', '11:00', '13:00', '15:00']
    assert len(found) == 31


def test_the_spring_forward_day_never_offers_the_skipped_hour() -> None:
    found = _starts(date(2026, 3, 8), 'America/Chicago', [(0, hours.DAY)], duration=15)
    walls = [opening.local.strftime('%H:%M') for opening in found]
    assert '01:45' in walls and '03:00' in walls
    assert not [wall for wall in walls if wall.startswith('02:')]
    assert len(found) == 23 * 4  # a 23-hour day


def test_the_fall_back_day_offers_the_repeated_hour_once_and_visits_end_in_time() -> None:
    found = _starts(date(2026, 11, 1), 'America/Chicago', [(0, hours.DAY)], duration=15)
    walls = [opening.local.strftime('%H:%M') for opening in found]
    assert walls.count('01:30') == 1
    assert found[walls.index('01:30')].starts_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # the first 01:30 (CDT)


def test_busy_granules_block_every_start_whose_visit_would_overlap() -> None:
    taken = datetime(2026, 3, 9, 15, 30, tzinfo=UTC)  # 10:30 CDT
    busy = frozenset(hours.granule_of(start) for start in hours.granule_starts(taken, 30))
    walls = [opening.local.strftime('%H:%M') for opening in
             _starts(date(2026, 3, 9), 'America/Chicago', [(9 * 60, 12 * 60)], 30, 15, busy)]
    assert walls == ['09:00', '09:15', '09:30', '09:45', '10:00', '11:00', '11:15', '11:30']


def test_windows_merge_and_subtract() -> None:
    assert hours.merge([(540, 720), (700, 780), (800, 900)]) == [(540, 780), (800, 900)]
    assert hours.subtract([(540, 1020)], [(720, 780)]) == [(540, 720), (780, 1020)]


@settings(max_examples=200, deadline=None)
@given(day=st.dates(min_value=date(2020, 1, 1), max_value=date(2037, 12, 31)), zone=st.sampled_from(US_ZONES),
       start=st.integers(0, 20 * 60).map(lambda minute: minute - minute % 5), length=st.integers(30, 12 * 60),
       taken=st.sets(st.integers(0, 24 * 12 - 1), max_size=40))
def test_the_arithmetic_path_of_ordinary_days_agrees_with_the_careful_one(day: date, zone: str, start: int,
                                                                          length: int, taken: set[int]) -> None:
    where = ZoneInfo(zone)
    base = hours.granule_of(datetime.combine(day, datetime.min.time(), where).astimezone(UTC))
    busy = frozenset(base + granule for granule in taken)
    windows = [(start, min(start + length, hours.DAY))]
    fast = list(hours.open_starts(day, windows, zone=where, duration=30, step=15, busy=busy))
    careful = list(hours._careful_starts(day, windows, zone=where, duration=30, step=15, busy=busy, after=None))
    assert [(item.starts_at, item.local.utcoffset(), item.local.replace(tzinfo=None)) for item in fast] == \
        [(item.starts_at, item.local.utcoffset(), item.local.replace(tzinfo=None)) for item in careful]
