"""Open slots: which start times a visit type has with which provider at which location, per local day.

`Schedule` reads everything a search needs in four queries (weekly hours, exceptions, busy granules, the
holiday state) and answers from memory; `open_slots` is the use-case, `check_fits` the booking's check
of one chosen time with a message for each reason it does not fit.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    Appointment,
    AppointmentStatus,
    ExceptionKind,
    Location,
    Provider,
    ProviderAvailability,
    ScheduleException,
    VisitType,
)
from portal.models.schedule import GRANULE_MINUTES
from portal.services.appointments import hours
from portal.services.appointments.hours import Window
from portal.services.practice import practice

MAX_DAYS = 90
TAKEN = 'That time was just taken. Please choose another time.'
HELD = (AppointmentStatus.booked, AppointmentStatus.checked_in)  # visits that hold their granules


@dataclass(frozen=True)
class Slot:
    starts_at: datetime  # UTC
    local: datetime  # in the location's zone
    provider_id: int
    provider_name: str
    location_id: int
    location_name: str

    @property
    def zone_label(self) -> str:
        return self.local.tzname() or ''


@dataclass(frozen=True)
class DaySlots:
    day: date  # the location's calendar day
    slots: list[Slot]


def provider_name(provider: Provider) -> str:
    return f'{provider.first_name} {provider.last_name}, {provider.credentials}'.strip(', ')


def holiday_state(session: Session, /) -> str:
    """The US state whose holidays close the practice besides federal ones ('' for federal only)."""
    return practice(session).holiday_state


@dataclass
class Schedule:
    """Hours, exceptions and busy granules of some providers over some days, read once."""
    session: Session
    provider_ids: list[int]
    first_day: date
    last_day: date
    state: str = ''
    weekly: dict[tuple[int, int, int], list[Window]] = field(default_factory=dict)
    steps: dict[tuple[int, int], int] = field(default_factory=dict)
    exceptions: dict[date, list[ScheduleException]] = field(default_factory=dict)
    busy: dict[int, set[int]] = field(default_factory=dict)

    def load(self, *, ignore_appointment: int | None = None) -> Schedule:
        self.state = holiday_state(self.session)
        weekly: dict[tuple[int, int, int], list[Window]] = defaultdict(list)
        for row in self.session.exec(select(ProviderAvailability).where(
                col(ProviderAvailability.provider_id).in_(self.provider_ids))).all():
            weekly[(row.provider_id, row.location_id, row.weekday)].append(
                (hours.minutes(row.start_time), hours.end_minutes(row.end_time)))
            self.steps[(row.provider_id, row.location_id)] = max(5, row.slot_minutes)
        self.weekly = {key: hours.merge(windows) for key, windows in weekly.items()}
        exceptions: dict[date, list[ScheduleException]] = defaultdict(list)
        for row in self.session.exec(select(ScheduleException).where(
                col(ScheduleException.day) >= self.first_day, col(ScheduleException.day) <= self.last_day)).all():
            exceptions[row.day].append(row)
        self.exceptions = dict(exceptions)
        since = datetime.combine(self.first_day, datetime.min.time(), tzinfo=UTC) - timedelta(days=1)
        until = datetime.combine(self.last_day, datetime.min.time(), tzinfo=UTC) + timedelta(days=2)
        # the held visits, whose granules are exactly the rows of `appointment_granule` (written and deleted
        # with them): reading the visits is one row each instead of one per 5 minutes
        query = select(Appointment.provider_id, Appointment.starts_at, Appointment.duration_minutes).where(
            col(Appointment.provider_id).in_(self.provider_ids), col(Appointment.status).in_(HELD),
            col(Appointment.starts_at) >= since - timedelta(days=1), col(Appointment.starts_at) < until)
        if ignore_appointment is not None:
            query = query.where(Appointment.id != ignore_appointment)
        busy: dict[int, set[int]] = defaultdict(set)
        for provider_id, start, duration in self.session.connection().execute(query).all():
            first = hours.granule_of(start)
            busy[provider_id].update(range(first, first + -(-duration // GRANULE_MINUTES)))
        self.busy = dict(busy)
        return self

    def closed_reason(self, provider_id: int, location_id: int, day: date) -> str | None:
        """Why nobody is seen that day (a holiday, the location closed, the provider away), or None."""
        name = hours.holiday(day, self.state)
        extra = [row for row in self._matching(provider_id, location_id, day) if row.kind == ExceptionKind.extra_hours]
        if name and not extra:
            return f'The practice is closed on {day:%B} {day.day} for {name}.'
        for row in self._matching(provider_id, location_id, day):
            if row.start_time is None and row.kind in (ExceptionKind.closed, ExceptionKind.time_off):
                return (f'{row.note or "Closed"} on {day:%B} {day.day}: please choose another day.')
        return None

    def _matching(self, provider_id: int, location_id: int, day: date) -> list[ScheduleException]:
        if day not in self.exceptions:
            return []
        return [row for row in self.exceptions[day]
                if row.provider_id in (None, provider_id) and row.location_id in (None, location_id)]

    def windows(self, provider_id: int, location_id: int, day: date) -> list[Window]:
        """The provider's open windows at the location on this local day (empty when closed)."""
        if self.closed_reason(provider_id, location_id, day):
            return []
        windows = list(self.weekly.get((provider_id, location_id, day.weekday()), ()))
        rows = self._matching(provider_id, location_id, day)
        for row in rows:
            if row.kind == ExceptionKind.extra_hours and row.start_time and row.end_time and row.location_id:
                windows.append((hours.minutes(row.start_time), hours.end_minutes(row.end_time)))
        windows = hours.merge(windows)
        cuts = [(hours.minutes(row.start_time), hours.end_minutes(row.end_time)) for row in rows
                if row.kind != ExceptionKind.extra_hours and row.start_time and row.end_time]
        return hours.subtract(windows, cuts)

    def has_hours(self, provider_id: int, location_id: int) -> bool:
        """Whether the provider works at the location at all in these days (weekly or extra hours)."""
        if (provider_id, location_id) in self.steps:
            return True
        return any(row.kind == ExceptionKind.extra_hours and row.provider_id in (None, provider_id)
                   and row.location_id == location_id for rows in self.exceptions.values() for row in rows)

    def step(self, provider_id: int, location_id: int) -> int:
        return self.steps.get((provider_id, location_id), 15)


PATIENT_NOTICE = timedelta(hours=2)  # patients book visits starting more than this far ahead; staff any time


def notice_for(actor: Actor) -> timedelta:
    """How far ahead a visit the actor books must start: PATIENT_NOTICE for patients (a visit four minutes
    off is one they could neither reach nor cancel themselves), none for staff."""
    return timedelta(0) if actor.is_staff else PATIENT_NOTICE


def bookable_type(session: Session, /, actor: Actor, visit_type_id: int) -> VisitType:
    """The visit type, when it is offered and the actor may book it (patients: not for new patients)."""
    visit_type = session.get(VisitType, visit_type_id)
    if visit_type is None or not visit_type.active:
        raise ValidationFailed('Choose a visit type from the list.', field_errors={'visit_type': 'Choose one.'})
    if not actor.is_staff and (not visit_type.patient_bookable or visit_type.new_patients):
        raise ValidationFailed('Please call the office to book this kind of visit.',
                               field_errors={'visit_type': 'Booked by the office.'})
    return visit_type


def open_slots(session: Session, /, *, actor: Actor, visit_type_id: int, provider_id: int | None = None,
               location_id: int | None = None, first_day: date | None = None, days: int = 14,
               now: datetime | None = None) -> tuple[DaySlots, ...]:
    """Open start times of a visit type over `days` local days from `first_day` (default: today where each
    location is), with one provider or any (then each time once, with the first free provider), at one
    location or any; only days that have slots. A patient may search only the visit types they may book,
    and is offered only times more than PATIENT_NOTICE ahead."""
    visit_type = bookable_type(session, actor, visit_type_id)
    days = max(1, min(days, MAX_DAYS))
    now = now or utcnow()
    providers = session.exec(select(Provider).where(Provider.active == True).order_by(Provider.id)).all()  # noqa: E712
    if provider_id is not None:
        providers = [provider for provider in providers if provider.id == provider_id]
    locations = session.exec(select(Location).where(Location.active == True).order_by(Location.id)).all()  # noqa: E712
    if location_id is not None:
        locations = [location for location in locations if location.id == location_id]
    if not providers or not locations:
        raise NotFound('We could not find that provider or location.')
    start = first_day or min(now.astimezone(ZoneInfo(location.timezone)).date() for location in locations)
    schedule = Schedule(session, [int(p.id) for p in providers], start, start + timedelta(days=days - 1)).load()
    by_day: dict[date, dict[tuple[int, datetime], Slot]] = defaultdict(dict)
    for location in locations:
        zone = ZoneInfo(location.timezone)
        for provider in providers:
            busy = schedule.busy.get(int(provider.id), set())
            step = schedule.step(int(provider.id), int(location.id))
            if not schedule.has_hours(int(provider.id), int(location.id)):
                continue
            name, provider_key, location_key = provider_name(provider), int(provider.id), int(location.id)
            for offset in range(days):
                day = start + timedelta(days=offset)
                windows = schedule.windows(int(provider.id), int(location.id), day)
                if not windows:
                    continue
                found = by_day[day]
                for opening in hours.open_starts(day, windows, zone=zone, duration=visit_type.duration_minutes,
                                                 step=step, busy=busy, after=now + notice_for(actor)):
                    key = (location_key, opening.starts_at)
                    if key not in found:  # with any provider, each time once: the first provider free then
                        found[key] = Slot(opening.starts_at, opening.local, provider_key, name, location_key,
                                          location.name)
    return tuple(DaySlots(day, sorted(found.values(), key=lambda slot: (slot.starts_at, slot.location_id)))
                 for day, found in sorted(by_day.items()) if found)


def check_fits(session: Session, /, *, provider_id: int, location: Location, visit_type: VisitType, wall: datetime,
               ignore_appointment: int | None = None, now: datetime | None = None,
               notice: timedelta = timedelta(0)) -> datetime:
    """The UTC start of a visit at the naive local wall-clock time `wall` at `location`, when it is open;
    otherwise ValidationFailed saying why (past, spring-forward hour, holiday, closed, outside hours, off
    the 5-minute grid, not more than `notice` from now). Whether the time is taken is the granules' unique
    key's to say (booking)."""
    zone = ZoneInfo(location.timezone)
    if wall.minute % 5 or wall.second or wall.microsecond:
        raise ValidationFailed('Choose one of the times shown.', field_errors={'time': 'Choose a time.'})
    if not hours.exists(wall, zone):
        raise ValidationFailed(f'{wall:%I:%M %p} does not exist on {wall:%B} {wall.day}: the clocks move forward '
                               'an hour that night. Please choose another time.',
                               field_errors={'time': 'No such time.'})
    starts_at = hours.instant(wall, zone)
    now = now or utcnow()
    if starts_at <= now:
        raise ValidationFailed('That time has passed. Please choose a time in the future.',
                               field_errors={'time': 'In the past.'})
    if notice and starts_at <= now + notice:
        hours_ahead = int(notice.total_seconds() // 3600)
        raise ValidationFailed(f'Visits booked online start more than {hours_ahead} hours from now. Please choose '
                               'a later time, or call the office for a visit sooner.',
                               field_errors={'time': 'Too soon.'})
    day = wall.date()
    schedule = Schedule(session, [provider_id], day, day).load(ignore_appointment=ignore_appointment)
    reason = schedule.closed_reason(provider_id, int(location.id), day)
    if reason:
        raise ValidationFailed(reason, field_errors={'day': reason})
    windows = schedule.windows(provider_id, int(location.id), day)
    fits = any(opening.starts_at == starts_at for opening in hours.open_starts(
        day, windows, zone=zone, duration=visit_type.duration_minutes, step=5))
    if not fits:
        raise ValidationFailed('That time is outside the provider\'s hours at this location. '
                               'Please choose one of the times shown.', field_errors={'time': 'Outside hours.'})
    # a held visit without granule rows (booked before the granules existed) still holds its time
    first = hours.granule_of(starts_at)
    if schedule.busy.get(provider_id, set()) & set(range(first, first + -(-visit_type.duration_minutes
                                                                         // GRANULE_MINUTES))):
        raise ValidationFailed(TAKEN, field_errors={'time': 'Taken.'})
    return starts_at
