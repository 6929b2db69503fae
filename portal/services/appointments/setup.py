"""The admins' schedule set-up (/staff/admin/schedule): providers, locations (with address and IANA time
zone), visit types (plain name, minutes, self-pay price, CPT/HCPCS codes, bookable by patients, new or
established patients), weekly hours per provider and location in local wall-clock times, and one-day
exceptions (time off, extra hours, closed). Holidays come from the `holidays` package for the practice's
state (a practice setting). Admins only; every change is audited."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_admin
from portal.errors import NotFound, ValidationFailed
from portal.models import ExceptionKind, Location, Provider, ProviderAvailability, ScheduleException, VisitType
from portal.money import AmountError, format_money, parse_amount
from portal.reference.holidays import holiday
from portal.services.appointments.slots import holiday_state, provider_name
from portal.services.appointments.visits import address_of
from portal.services.practice import practice_today

WEEKDAYS = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')
CODE = re.compile(r'^([0-9]{4}[0-9A-Z]|[A-V][0-9]{4})$')  # CPT (5 digits, or 4 + F/T/U) or HCPCS Level II
KIND_LABELS = {ExceptionKind.time_off: 'Time off', ExceptionKind.extra_hours: 'Extra hours',
               ExceptionKind.closed: 'Closed'}


@dataclass(frozen=True)
class Row:
    id: int
    label: str
    detail: str
    active: bool = True


@dataclass(frozen=True)
class ScheduleSetup:
    providers: list[Row]
    locations: list[Row]
    visit_types: list[Row]
    hours: list[Row]  # weekly availability
    exceptions: list[Row]  # from today on
    holiday_state: str
    holidays: list[Row]  # the next ones the practice closes for (id: 0)


def setup(session: Session, /, *, actor: Actor) -> ScheduleSetup:
    require_admin(session, actor, purpose='view_schedule_setup')
    providers = {row.id: row for row in session.exec(select(Provider).order_by(Provider.last_name)).all()}
    locations = {row.id: row for row in session.exec(select(Location).order_by(Location.id)).all()}
    today = practice_today(session)
    state = holiday_state(session)
    hours = session.exec(select(ProviderAvailability).order_by(
        ProviderAvailability.provider_id, ProviderAvailability.weekday, ProviderAvailability.start_time)).all()
    exceptions = session.exec(select(ScheduleException).where(col(ScheduleException.day) >= today)
                              .order_by(ScheduleException.day)).all()
    upcoming = [today + timedelta(days=offset) for offset in range(366)]
    return ScheduleSetup(
        providers=[Row(int(row.id), provider_name(row), f'NPI {row.npi} · {row.specialty}', row.active)
                   for row in providers.values()],
        locations=[Row(int(row.id), row.name, f'{address_of(row)} · {row.timezone}', row.active)
                   for row in locations.values()],
        visit_types=[Row(int(row.id), row.name, f'{row.duration_minutes} min · self-pay '
                         f'{format_money(row.price, row.currency)} · codes {row.codes or "none"} · '
                         f'{"new patients (staff book)" if row.new_patients else "established patients"}'
                         f'{" · patients book online" if row.patient_bookable and not row.new_patients else ""}',
                         row.active)
                     for row in session.exec(select(VisitType).order_by(VisitType.id)).all()],
        hours=[Row(int(row.id), provider_name(providers[row.provider_id]),
                   f'{WEEKDAYS[row.weekday]} {row.start_time:%H:%M}–{row.end_time:%H:%M} at '
                   f'{locations[row.location_id].name} ({locations[row.location_id].timezone}), '
                   f'every {row.slot_minutes} min') for row in hours],
        exceptions=[Row(int(row.id), f'{row.day:%a %b} {row.day.day}, {row.day.year}: {KIND_LABELS[row.kind]}',
                        _exception_detail(row, providers, locations)) for row in exceptions],
        holiday_state=state,
        holidays=[Row(0, f'{day:%a %b} {day.day}, {day.year}', holiday(day, state) or '') for day in upcoming
                  if holiday(day, state)][:12])


def _exception_detail(row: ScheduleException, providers: dict, locations: dict) -> str:
    who = provider_name(providers[row.provider_id]) if row.provider_id else 'Every provider'
    where = locations[row.location_id].name if row.location_id else 'every location'
    hours = f'{row.start_time:%H:%M}–{row.end_time:%H:%M}' if row.start_time and row.end_time else 'all day'
    return f'{who} · {where} · {hours}{" · " + row.note if row.note else ""}'


def _audit(session: Session, actor: Actor, action: str, entity_type: str, entity_id: object) -> None:
    audit.record(session, action=action, actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type=entity_type, entity_id=entity_id, source_ip=actor.ip)


def _text(value: str, field: str, label: str, *, max_length: int, required: bool = True) -> str:
    cleaned = ' '.join((value or '').split())
    if required and not cleaned:
        raise ValidationFailed(f'Enter the {label}.', field_errors={field: f'Enter the {label}.'})
    if len(cleaned) > max_length:
        raise ValidationFailed(f'Keep the {label} under {max_length} characters.',
                               field_errors={field: 'Too long.'})
    return cleaned


def _clock(value: str, field: str) -> time:
    try:
        parsed = time.fromisoformat((value or '').strip())
    except ValueError:
        raise ValidationFailed('Enter times like 09:00 or 17:30.', field_errors={field: 'Like 09:00.'}) from None
    if parsed.minute % 5 or parsed.second:
        raise ValidationFailed('Times go in steps of 5 minutes.', field_errors={field: 'Steps of 5 minutes.'})
    return parsed


def add_provider(session: Session, /, *, actor: Actor, npi: str, first_name: str, last_name: str,
                 credentials: str, specialty: str = '') -> int:
    require_admin(session, actor, purpose='add_provider')
    npi = (npi or '').strip()
    if not re.fullmatch(r'[0-9]{10}', npi):
        raise ValidationFailed('An NPI is 10 digits.', field_errors={'npi': '10 digits.'})
    if session.exec(select(Provider.id).where(Provider.npi == npi)).first() is not None:
        raise ValidationFailed('A provider with this NPI is already on the list.', field_errors={'npi': 'Taken.'})
    provider = Provider(npi=npi, first_name=_text(first_name, 'first_name', 'first name', max_length=80),
                        last_name=_text(last_name, 'last_name', 'last name', max_length=80),
                        credentials=_text(credentials, 'credentials', 'credentials', max_length=20),
                        specialty=_text(specialty, 'specialty', 'specialty', max_length=80, required=False))
    session.add(provider)
    session.flush()
    _audit(session, actor, 'add_provider', 'provider', provider.id)
    return int(provider.id)


def add_location(session: Session, /, *, actor: Actor, name: str, address_line1: str, city: str, state: str,
                 postal_code: str, timezone: str, phone: str = '') -> int:
    require_admin(session, actor, purpose='add_location')
    try:
        ZoneInfo((timezone or '').strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed('Choose the time zone from the list.', field_errors={'timezone': 'Unknown zone.'}) \
            from None
    state = (state or '').strip().upper()
    if not re.fullmatch(r'[A-Z]{2}', state):
        raise ValidationFailed('Use the two-letter state code, like IL.', field_errors={'state': 'Like IL.'})
    if not re.fullmatch(r'[0-9]{5}(-[0-9]{4})?', (postal_code or '').strip()):
        raise ValidationFailed('Enter a ZIP code like 62704.', field_errors={'postal_code': 'Like 62704.'})
    location = Location(name=_text(name, 'name', 'name', max_length=120),
                        address_line1=_text(address_line1, 'address_line1', 'street address', max_length=120),
                        city=_text(city, 'city', 'city', max_length=80), state=state,
                        postal_code=postal_code.strip(), timezone=timezone.strip(),
                        phone=_text(phone, 'phone', 'phone', max_length=32, required=False))
    session.add(location)
    session.flush()
    _audit(session, actor, 'add_location', 'location', location.id)
    return int(location.id)


def add_visit_type(session: Session, /, *, actor: Actor, name: str, duration_minutes: int, price: str,
                   codes: str, patient_bookable: bool, new_patients: bool) -> int:
    require_admin(session, actor, purpose='add_visit_type')
    if not isinstance(duration_minutes, int) or duration_minutes % 5 or not 5 <= duration_minutes <= 480:
        raise ValidationFailed('A visit lasts 5 to 480 minutes, in steps of 5.', field_errors={'duration': '5–480.'})
    try:
        amount = parse_amount(price, verb='charge')
    except AmountError as error:
        raise ValidationFailed(str(error), field_errors={"price": str(error)}) from None
    listed = [code.strip().upper() for code in (codes or '').split(',') if code.strip()]
    bad = [code for code in listed if not CODE.fullmatch(code)]
    if not listed or bad:
        raise ValidationFailed('Enter CPT or HCPCS codes separated by commas, like 99213 or G0439.',
                               field_errors={'codes': 'Like 99213, G0439.'})
    visit_type = VisitType(name=_text(name, 'name', 'name', max_length=80), duration_minutes=duration_minutes,
                           price=amount, codes=','.join(listed), patient_bookable=bool(patient_bookable),
                           new_patients=bool(new_patients))
    session.add(visit_type)
    session.flush()
    _audit(session, actor, 'add_visit_type', 'visit_type', visit_type.id)
    return int(visit_type.id)


def set_active(session: Session, /, *, actor: Actor, kind: str, row_id: int, active: bool) -> None:
    """Offer again or stop offering a provider, location or visit type (history keeps it)."""
    require_admin(session, actor, purpose='set_schedule_active')
    model = {'provider': Provider, 'location': Location, 'visit_type': VisitType}.get(kind)
    row = session.get(model, row_id) if model is not None else None
    if row is None:
        raise NotFound()
    row.active = active
    session.add(row)
    _audit(session, actor, 'activate' if active else 'deactivate', kind, row_id)


def add_hours(session: Session, /, *, actor: Actor, provider_id: int, location_id: int, weekday: int, start: str,
              end: str, slot_minutes: int = 15) -> int:
    """Weekly hours in the location's local wall-clock time. A provider cannot be in two places at once."""
    require_admin(session, actor, purpose='add_hours')
    if session.get(Provider, provider_id) is None or session.get(Location, location_id) is None:
        raise ValidationFailed('Choose a provider and a location.')
    if weekday not in range(7):
        raise ValidationFailed('Choose a day of the week.', field_errors={'weekday': 'Choose one.'})
    opens, closes = _clock(start, 'start'), _clock(end, 'end')
    if opens >= closes:
        raise ValidationFailed('The hours must end after they start.', field_errors={'end': 'After the start.'})
    if slot_minutes not in (5, 10, 15, 20, 30, 60):
        raise ValidationFailed('Offer times every 5, 10, 15, 20, 30 or 60 minutes.')
    for row in session.exec(select(ProviderAvailability).where(ProviderAvailability.provider_id == provider_id,
                                                               ProviderAvailability.weekday == weekday)).all():
        if row.start_time < closes and opens < row.end_time:
            raise ValidationFailed(f'These hours overlap the provider\'s {WEEKDAYS[weekday]} hours '
                                   f'{row.start_time:%H:%M}–{row.end_time:%H:%M}.')
    row = ProviderAvailability(provider_id=provider_id, location_id=location_id, weekday=weekday, start_time=opens,
                               end_time=closes, slot_minutes=slot_minutes)
    session.add(row)
    session.flush()
    _audit(session, actor, 'add_hours', 'provider_availability', row.id)
    return int(row.id)


def remove_hours(session: Session, /, *, actor: Actor, hours_id: int) -> None:
    """Booked visits stay booked; no new ones are offered in these hours."""
    require_admin(session, actor, purpose='remove_hours')
    row = session.get(ProviderAvailability, hours_id)
    if row is None:
        raise NotFound()
    session.delete(row)
    _audit(session, actor, 'remove_hours', 'provider_availability', hours_id)


def add_exception(session: Session, /, *, actor: Actor, kind: str, day: date, provider_id: int | None = None,
                  location_id: int | None = None, start: str = '', end: str = '', note: str = '') -> int:
    """Time off (a provider, or everyone), extra hours (a provider at a location) or a closed day; without
    times the whole day. Visits already booked stay booked (staff move them from the schedule)."""
    require_admin(session, actor, purpose='add_schedule_exception')
    if kind not in set(ExceptionKind):
        raise ValidationFailed('Choose what kind of change it is.', field_errors={'kind': 'Choose one.'})
    if day < practice_today(session):
        raise ValidationFailed('Choose today or a later day.', field_errors={'day': 'In the past.'})
    opens = _clock(start, 'start') if start else None
    closes = _clock(end, 'end') if end else None
    if (opens is None) != (closes is None) or (opens and closes and opens >= closes):
        raise ValidationFailed('Give both a start and an end (end after start), or neither for the whole day.')
    if kind == ExceptionKind.extra_hours and (not provider_id or not location_id or opens is None):
        raise ValidationFailed('Extra hours need a provider, a location and the hours.')
    row = ScheduleException(kind=kind, day=day, provider_id=provider_id or None, location_id=location_id or None,
                            start_time=opens, end_time=closes,
                            note=_text(note, 'note', 'note', max_length=120, required=False))
    session.add(row)
    session.flush()
    _audit(session, actor, 'add_schedule_exception', 'schedule_exception', row.id)
    return int(row.id)


def remove_exception(session: Session, /, *, actor: Actor, exception_id: int) -> None:
    require_admin(session, actor, purpose='remove_schedule_exception')
    row = session.get(ScheduleException, exception_id)
    if row is None:
        raise NotFound()
    session.delete(row)
    _audit(session, actor, 'remove_schedule_exception', 'schedule_exception', exception_id)
