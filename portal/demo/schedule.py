"""The demo schedule: visit types with self-pay prices and codes, the practice's holiday state, a closed
day ahead, and booked visits placed where their provider works that weekday, inside the hours, never on
a holiday or over another visit (each writes its 5-minute granules, as a real booking does), and at most
half of a provider's day, so patients still find open times."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from portal.clock import wall_instant, wall_time_exists
from portal.demo.context import Context
from portal.demo.practice import CLINIC_WEEK, LOCATIONS
from portal.models.schedule import granule_of, granule_starts
from portal.reference.holidays import holiday

HOLIDAY_STATE = 'IL'
# (plain name, minutes, self-pay price in cents, CPT/HCPCS codes, patients may book, for new patients)
VISIT_TYPES = (
    ('Follow-up visit', 30, 15000, '99213', True, False),
    ('Office visit', 30, 18000, '99214', True, False),
    ('Annual physical', 40, 25000, '99396', True, False),
    ('Well-child visit', 40, 20000, '99392', True, False),
    ('Telehealth visit', 20, 9500, '99212,G2012', True, False),
    ('Lab visit', 15, 2500, '36415', True, False),
    ('Vaccines', 15, 4500, '90471', True, False),
    ('New patient visit', 45, 22000, '99203', False, True),
)
HALF_DAY_GRANULES = 4 * 60 // 5  # at most 4 booked hours of a provider's day (of 9)


def add_visit_types(ctx: Context, existing: dict[str, int]) -> None:
    ctx.visit_type_ids = dict(existing)
    for name, minutes, price, codes, bookable, new in VISIT_TYPES:
        if name not in existing:
            ctx.visit_type_ids[name] = ctx.next_id('visit_type')
            ctx.batch['visit_type'].append((ctx.visit_type_ids[name], name, minutes, price, 'USD', codes,
                                            int(bookable), int(new), 1))


def add_closed_day(ctx: Context) -> None:
    """A staff training day three weeks ahead (a weekday that is not a holiday), every location closed."""
    day = ctx.today + timedelta(days=21)
    while day.weekday() >= 5 or holiday(day, HOLIDAY_STATE):
        day += timedelta(days=1)
    ctx.closed_day = day
    ctx.batch['schedule_exception'].append((ctx.next_id('schedule_exception'), 'closed', ctx.iso[day.toordinal()],
                                            'Closed for staff training'))


def works_at(provider: int, weekday: int) -> int | None:
    """The location index where the provider (an index into PROVIDERS) works that weekday, if they work."""
    return (provider + weekday) % len(LOCATIONS) if weekday < len(CLINIC_WEEK) else None


def hours_of(weekday: int) -> tuple[int, int]:
    _, start, end = CLINIC_WEEK[weekday]
    return start * 60, end * 60


class Placer:
    """Places booked demo visits so they obey the schedule and never overlap."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.held: dict[int, set[int]] = defaultdict(set)  # provider id -> granules
        self.per_day: dict[tuple[int, date], int] = defaultdict(int)

    def place(self, provider: int, day: date, minute: int, duration: int) -> tuple[int, str, list[str]] | None:
        """(location id, the start's stamp, granule stamps) for a visit on `day` near `minute` (local), or
        None when the provider does not work then or the day is full, closed or a holiday."""
        location = works_at(provider, day.weekday())
        if location is None or holiday(day, HOLIDAY_STATE) or day == getattr(self.ctx, 'closed_day', None):
            return None
        provider_id = self.ctx.provider_ids[provider]
        granules_needed = -(-duration // 5)
        if self.per_day[(provider_id, day)] + granules_needed > HALF_DAY_GRANULES:
            return None
        opens, closes = hours_of(day.weekday())
        start = min(max(opens, minute - minute % 15), closes - duration)
        for candidate in [*range(start, closes - duration + 1, 15), *range(opens, start, 15)]:
            wall = datetime.combine(day, time(0)) + timedelta(minutes=candidate)
            if not wall_time_exists(wall, self.ctx.timezone):
                continue
            instant = wall_instant(wall, self.ctx.timezone)
            granules = granule_starts(instant, duration)
            numbers = {granule_of(granule) for granule in granules}
            if numbers & self.held[provider_id]:
                continue
            self.held[provider_id] |= numbers
            self.per_day[(provider_id, day)] += granules_needed
            return (self.ctx.location_ids[location], _stamp(instant),
                    [_stamp(granule) for granule in granules])
        return None

    def book(self, *, appointment_id: int, account_id: int, patient_id: int, provider: int, day: date, minute: int,
             visit_type: str, duration: int, created: str) -> bool:
        placed = self.place(provider, day, minute, duration)
        if placed is None:
            return False
        location_id, starts_at, granules = placed
        ctx = self.ctx
        ctx.batch['appointment'].append((appointment_id, account_id, patient_id, ctx.provider_ids[provider],
                                         location_id, starts_at, duration, visit_type, 'booked', created,
                                         ctx.visit_type_ids.get(visit_type, ctx.null)))
        provider_id = ctx.provider_ids[provider]
        for granule in granules:
            ctx.batch['appointment_granule'].append((ctx.next_id('appointment_granule'), provider_id, granule,
                                                     appointment_id))
        return True


def _stamp(moment: datetime) -> str:
    return f'{moment.astimezone(UTC):%Y-%m-%d %H:%M}:00.000000'
