"""/appointments (in the navigation: upcoming and past visits with the location's zone, add to calendar,
reschedule, cancel, a change request inside the cutoff), /appointments/book (visit type → patient →
provider → location → day → time → confirm) and the .ics download; another account's visit is a 404."""
from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar
from nicegui.testing import User
from sqlmodel import select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.models import Appointment, AppointmentStatus, GuarantorAccount, MessageThread, VisitType
from tests.pages.conftest import DEMO_PATIENT, sign_in
from tests.support.slot_picking import pick_first_time

DEMO_ACCOUNT = 'A10002026'


def _demo_visits() -> tuple[list[Appointment], int]:
    with read_session() as session:
        account_id = session.exec(select(GuarantorAccount.id)
                                  .where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        own = session.exec(select(Appointment).where(Appointment.account_id == account_id,
                                                     Appointment.status == AppointmentStatus.booked,
                                                     Appointment.starts_at > utcnow())
                           .order_by(Appointment.starts_at)).all()
        other = session.exec(select(Appointment.id).where(Appointment.account_id != account_id)).first()
    return list(own), int(other)


def _value(user: User, marker: str, value: object) -> None:
    element = next(iter(user.find(marker=marker).elements))
    element.value = value


async def test_the_list_shows_upcoming_visits_in_the_locations_zone_and_the_home_links_there(user: User) -> None:
    own, _ = _demo_visits()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Next appointment')
    await user.should_see('See, reschedule or cancel your visits')  # the home card's link to /appointments
    await user.open('/appointments')
    await user.should_see('>Appointments<')  # the navigation item, current
    await user.should_see('Upcoming')
    for visit in own:
        await user.should_see(marker=f'visit-{visit.id}')
    await user.should_see(' CST')  # every time carries its zone
    await user.should_see('Add to calendar')


async def test_a_patient_books_a_visit_step_by_step(user: User) -> None:
    with read_session() as session:
        follow_up = session.exec(select(VisitType.id).where(VisitType.name == 'Follow-up visit')).one()
        new_patient = session.exec(select(VisitType.id).where(VisitType.name == 'New patient visit')).one()
    before, _ = _demo_visits()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/appointments/book')
    await user.should_see('What kind of visit?')
    await user.should_see('Choose the kind of visit and who it is for')
    options = next(iter(user.find(marker='visit-type').elements)).options
    assert follow_up in options and new_patient not in options  # new-patient visits are booked by staff
    _value(user, 'visit-type', follow_up)
    patients = next(iter(user.find(marker='patient').elements)).options
    _value(user, 'patient', next(iter(patients)))
    await user.should_see(marker='later-dates')
    await pick_first_time(user)
    user.find(marker='submit').click()
    await user.should_see('Your visit is booked.')
    after, _ = _demo_visits()
    assert len(after) == len(before) + 1


async def test_a_patient_moves_and_cancels_a_visit(user: User) -> None:
    own, _ = _demo_visits()
    later = own[-1]
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/appointments')
    user.find(marker=f'reschedule-{later.id}').click()
    await user.should_see('Move your visit')
    await user.should_see('Now: ')
    await user.should_see(marker='later-dates')
    await pick_first_time(user)
    user.find(marker='submit').click()
    await user.should_see('Your visit was moved.')
    with read_session() as session:
        moved = session.get(Appointment, later.id)
    assert moved.sequence == 1 and moved.starts_at != later.starts_at
    user.find(marker=f'cancel-{later.id}').click()
    await user.should_see('Cancel this visit?')
    user.find(marker='submit').click()
    await user.should_see('Your visit was cancelled.')
    with read_session() as session:
        assert session.get(Appointment, later.id).status == AppointmentStatus.cancelled


async def test_inside_the_cutoff_the_patient_sends_a_change_request(user: User) -> None:
    own, _ = _demo_visits()
    soon = own[0]
    with write_session() as session:  # move it to three hours from now (a staff move, so no granule clash)
        row = session.get(Appointment, soon.id)
        row.starts_at = utcnow().replace(second=0, microsecond=0) + timedelta(hours=3)
        session.add(row)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/appointments')
    await user.should_see(marker=f'change-{soon.id}')
    user.find(marker=f'change-{soon.id}').click()
    await user.should_see('Ask us to change this visit')
    user.find(marker='change-body').type('Can we make it next week?')
    user.find(marker='submit').click()
    await user.should_see('Change my visit on')  # the new conversation's subject
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.appointment_id == soon.id)).one()
    assert thread.category == 'appointment_change'


async def test_the_calendar_file_downloads_for_the_family_and_is_a_404_for_anyone_else(user: User) -> None:
    own, other = _demo_visits()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    response = await user.http_client.get(f'/documents/appointments/{own[0].id}.ics')
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/calendar')
    [event] = Calendar.from_ical(response.content).walk('VEVENT')
    assert event.decoded('dtstart').astimezone(own[0].starts_at.tzinfo) == own[0].starts_at
    assert (await user.http_client.get(f'/documents/appointments/{other}.ics')).status_code == 404
    assert (await user.http_client.get(f'/appointments/book?reschedule={other}')).status_code == 404


async def test_moving_a_cancelled_or_past_visit_says_why_instead_of_offering_times(user: User) -> None:
    own, _ = _demo_visits()
    with write_session() as session:
        visit = session.get(Appointment, own[-1].id)
        visit.status = AppointmentStatus.cancelled
        session.add(visit)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/appointments/book?reschedule={own[-1].id}')
    await user.should_see('This visit was cancelled, so it cannot be changed. Please book a new visit.')
    await user.should_not_see('Choose a day')
    await user.should_not_see('What kind of visit?')
