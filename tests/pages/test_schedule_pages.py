"""/staff/schedule (in the staff navigation: a day or week of visits with their zone, check-in, no-show,
move, cancel with an email to the patient, the change-request queue, booking for a patient found by name)
and /staff/admin/schedule (admins only: providers, locations, visit types, weekly hours, exceptions)."""
from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.models import (
    Appointment,
    AppointmentStatus,
    GuarantorAccount,
    Notification,
    ProviderAvailability,
    ScheduleException,
    VisitType,
)
from portal.models import (
    User as UserRow,
)
from portal.services.appointments.visits import base_query, views
from tests.pages.conftest import DEMO_STAFF, sign_in
from tests.support.slot_picking import pick_first_time

DEMO_ACCOUNT = 'A10002026'


def _demo_visit() -> Appointment:
    with read_session() as session:
        account_id = session.exec(select(GuarantorAccount.id)
                                  .where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        return session.exec(select(Appointment).where(Appointment.account_id == account_id,
                                                      Appointment.status == AppointmentStatus.booked)
                            .order_by(Appointment.starts_at)).first()


def _local_day(appointment_id: int) -> str:
    with read_session() as session:
        [view] = views(session, base_query().where(Appointment.id == appointment_id))
    return view.local.date().isoformat()


async def _staff(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')


async def test_the_day_shows_visits_with_their_zone_and_staff_check_in_and_mark_no_shows(user: User) -> None:
    visit = _demo_visit()
    with write_session() as session:  # one visit an hour ago (missed) and one now
        row = session.get(Appointment, visit.id)
        row.starts_at = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=30)
        missed = Appointment(account_id=row.account_id, patient_id=row.patient_id, provider_id=row.provider_id,
                             location_id=row.location_id, starts_at=row.starts_at - timedelta(hours=2))
        session.add_all([row, missed])
        session.flush()
        missed_id = missed.id
    await _staff(user)
    await user.should_see('>Schedule<')  # in the staff navigation
    await user.open(f'/staff/schedule?day={_local_day(visit.id)}')
    await user.should_see(marker=f'visit-{visit.id}')
    await user.should_see(' CST')
    await user.should_see('Change requests')
    user.find(marker=f'check-in-{visit.id}').click()
    await user.should_see('Checked in')
    user.find(marker=f'no-show-{missed_id}').click()
    await user.should_see('Missed')
    with read_session() as session:
        assert session.get(Appointment, visit.id).status == AppointmentStatus.checked_in
        assert session.get(Appointment, missed_id).status == AppointmentStatus.no_show


async def test_staff_cancel_a_visit_and_the_patient_is_emailed_without_details(user: User) -> None:
    visit = _demo_visit()
    await _staff(user)
    await user.open(f'/staff/schedule?day={_local_day(visit.id)}&view=week')
    user.find(marker=f'cancel-{visit.id}').click()
    await user.should_see('The patient is emailed.')
    user.find(marker='submit').click()
    await user.should_see('Cancelled')
    with read_session() as session:
        assert session.get(Appointment, visit.id).status == AppointmentStatus.cancelled
        told = session.exec(select(Notification).where(Notification.template == 'appointment_changed')).all()
    assert told and all(row.account_id == visit.account_id for row in told)


async def test_staff_find_a_patient_by_name_and_book_a_new_patient_visit(user: User) -> None:
    with read_session() as session:
        new_visit = session.exec(select(VisitType.id).where(VisitType.name == 'New patient visit')).one()
    await _staff(user)
    await user.open('/staff/schedule')
    user.find(marker='find-patient').type('Alvarez, Dan')
    user.find(marker='find').click()
    await user.should_see('Daniel Alvarez')
    link = next(element for element in user.find(ui.link).elements if 'Daniel Alvarez' in element.text)
    patient_id = int(link.props['href'].split('=')[1])
    await user.open(f'/staff/schedule/book?patient={patient_id}')
    await user.should_see('What kind of visit?')
    next(iter(user.find(marker='visit-type').elements)).value = new_visit
    await pick_first_time(user)
    user.find(marker='submit').click()
    await user.should_see(marker='find-patient')  # back on the schedule, on the visit's day
    with read_session() as session:
        booked = session.exec(select(Appointment).where(Appointment.patient_id == patient_id,
                                                        Appointment.visit_type_id == new_visit)).one()
    assert booked.status == AppointmentStatus.booked


async def test_schedule_set_up_is_for_admins(user: User) -> None:
    await _staff(user)
    assert (await user.http_client.get('/staff/admin/schedule')).status_code == 404


async def test_an_admin_adds_a_visit_type_hours_and_a_day_off(user: User) -> None:
    with write_session() as session:
        staff = session.exec(select(UserRow).where(UserRow.email == DEMO_STAFF)).one()
        staff.role = 'admin'
        session.add(staff)
    await _staff(user)
    await user.should_see('Schedule set-up')  # the admin's navigation item
    await user.open('/staff/admin/schedule')
    await user.should_see('Weekly hours')
    await user.should_see('Christmas Day')  # a holiday ahead the practice closes for
    user.find(marker='visit-types-add').click()
    user.find(marker='name').type('Flu shot')
    user.find(marker='price').type('4,60')
    user.find(marker='codes').type('90686, G0008')
    user.find(marker='visit-types-save').click()
    await user.should_see('Enter the amount like 4.60.')  # the one amount parser refuses a decimal comma
    user.find(marker='price').clear().type('45.00')
    user.find(marker='visit-types-save').click()
    await user.should_see('codes 90686,G0008')
    with read_session() as session:
        flu = session.exec(select(VisitType).where(VisitType.name == 'Flu shot')).one()
        assert (flu.price, flu.duration_minutes) == (4500, 30)
        hours_before = len(session.exec(select(ProviderAvailability)).all())
    await user.should_see('Exceptions')
    exception_day = (utcnow() + timedelta(days=40)).date().isoformat()
    user.find(marker='exception-day').type(exception_day)
    user.find(marker='note').type('Conference')
    user.find(marker='exceptions-save').click()
    await user.should_see('Every provider · every location · all day · Conference')
    with read_session() as session:
        assert session.exec(select(ScheduleException).where(ScheduleException.note == 'Conference')).one()
        assert len(session.exec(select(ProviderAvailability)).all()) == hours_before


async def test_staff_move_a_visit_and_the_patient_is_told(user: User) -> None:
    visit = _demo_visit()
    await _staff(user)
    await user.open(f'/staff/schedule?day={_local_day(visit.id)}')
    user.find(marker=f'move-{visit.id}').click()
    await user.should_see('Move a visit')
    await user.should_see('The patient is emailed about the move.')
    await pick_first_time(user)
    user.find(marker='submit').click()
    await user.should_see(marker='find-patient')
    with read_session() as session:
        moved = session.get(Appointment, visit.id)
        told = session.exec(select(Notification.dedupe_key)
                            .where(Notification.template == 'appointment_changed')).all()
    assert moved.sequence == 1 and moved.starts_at != visit.starts_at
    assert f'appointment-changed:{visit.id}:1' in told


async def test_a_cancelled_visit_cannot_be_opened_for_a_move(user: User) -> None:
    visit = _demo_visit()
    with write_session() as session:
        row = session.get(Appointment, visit.id)
        row.status = AppointmentStatus.cancelled
        session.add(row)
    await _staff(user)
    await user.open(f'/staff/schedule/book?reschedule={visit.id}')
    await user.should_see('this visit is cancelled and cannot be moved. Book a new visit for the patient instead.')
    await user.should_not_see('The patient is emailed about the move.')
