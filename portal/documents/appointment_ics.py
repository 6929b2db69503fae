"""A visit's calendar file (RFC 5545, built with icalendar): one VEVENT with a stable UID, SEQUENCE growing
with each change, STATUS:CANCELLED once cancelled, the location's address, and DTSTART/DTEND in the
location's zone with its VTIMEZONE, so any calendar shows the right local time."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from portal.clock import utcnow
from portal.models import AppointmentStatus
from portal.services.appointments.visits import VisitView


def uid(appointment_id: int, base_url: str) -> str:
    """The same for every version of a visit's file, so a calendar replaces the event it already has."""
    return f'appointment-{appointment_id}@{urlsplit(base_url).hostname or "settle"}'


def render_ics(visit: VisitView, *, practice: str, base_url: str, now: datetime | None = None) -> bytes:
    zone = ZoneInfo(visit.zone_name)
    calendar = Calendar()
    calendar.add('prodid', '-//Settle//Appointments//EN')
    calendar.add('version', '2.0')
    calendar.add('method', 'CANCEL' if visit.status == AppointmentStatus.cancelled else 'PUBLISH')
    event = Event()
    event.add('uid', uid(visit.id, base_url))
    event.add('sequence', visit.sequence)
    event.add('dtstamp', now or utcnow())
    event.add('dtstart', visit.starts_at.astimezone(zone))
    event.add('dtend', visit.ends_local)
    event.add('summary', f'{visit.visit_type} with {visit.provider_name} ({practice})')
    event.add('location', ', '.join(part for part in (visit.location_name, visit.location_address) if part))
    event.add('description', f'{visit.patient_name}. To reschedule or cancel: {base_url}/appointments')
    event.add('status', 'CANCELLED' if visit.status == AppointmentStatus.cancelled else 'CONFIRMED')
    event.add('url', f'{base_url}/appointments')
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
