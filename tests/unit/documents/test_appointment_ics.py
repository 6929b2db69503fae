"""A visit's calendar file parsed back by icalendar: the right local time in the location's zone, the
address, a UID that stays, SEQUENCE growing with each change and STATUS:CANCELLED at the end."""
from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import time_machine
from icalendar import Calendar

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.documents.appointment_ics import render_ics
from portal.services.appointments import booking, visits
from tests.factories import make_account, make_user
from tests.support.schedule import make_clinic


def _event(actor: Actor, appointment_id: int):  # noqa: ANN202
    with read_session() as session:
        view = visits.visit(session, actor=actor, appointment_id=appointment_id)
    calendar = Calendar.from_ical(render_ics(view, practice='Riverside', base_url='https://portal.example.org'))
    [event] = calendar.walk('VEVENT')
    return calendar, event


def test_the_calendar_file_keeps_its_uid_and_counts_changes_until_cancelled(db: str) -> None:
    clinic = make_clinic(zone='America/Denver')
    account, [patient] = make_account()
    actor = Actor(make_user(account=account).id, 'patient')
    with time_machine.travel(datetime(2026, 10, 20, 15, tzinfo=UTC), tick=False):
        with write_session() as session:
            booked = booking.book(session, actor=actor, visit_type_id=clinic.visit_type_id, patient_id=patient.id,
                                  provider_id=clinic.provider_ids[0], location_id=clinic.location_id,
                                  starts_at=datetime(2026, 11, 2, 9, 30))  # the Monday after fall-back
        calendar, first = _event(actor, booked.appointment_id)
        start = first.decoded('dtstart')
        assert first['DTSTART'].params['TZID'] == 'America/Denver'
        assert start.astimezone(ZoneInfo('America/Denver')).strftime('%H:%M %Z') == '09:30 MST'
        assert start.astimezone(UTC) == datetime(2026, 11, 2, 16, 30, tzinfo=UTC)
        assert (first.decoded('dtend') - start).total_seconds() == 30 * 60
        assert [zone['TZID'] for zone in calendar.walk('VTIMEZONE')] == ['America/Denver']
        assert '12 Main St, Springfield, IL 62704' in str(first['LOCATION'])
        assert (str(first['UID']), first['SEQUENCE'], str(first['STATUS'])) == (
            f'appointment-{booked.appointment_id}@portal.example.org', 0, 'CONFIRMED')
        with write_session() as session:
            booking.reschedule(session, actor=actor, appointment_id=booked.appointment_id,
                               starts_at=datetime(2026, 11, 2, 14, 0))
        _, moved = _event(actor, booked.appointment_id)
        assert moved.decoded('dtstart').astimezone(ZoneInfo('America/Denver')).hour == 14
        assert (str(moved['UID']), moved['SEQUENCE']) == (str(first['UID']), 1)
        with write_session() as session:
            booking.cancel(session, actor=actor, appointment_id=booked.appointment_id)
        _, cancelled = _event(actor, booked.appointment_id)
        assert (cancelled['SEQUENCE'], str(cancelled['STATUS'])) == (2, 'CANCELLED')
