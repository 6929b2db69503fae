"""Booking, rescheduling and cancelling: each bad input refused with its message and nothing booked;
the cutoff; change requests become "appointment change" threads; staff changes email the patient."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    Appointment,
    AppointmentGranule,
    MessageThread,
    Notification,
    PracticeSettings,
    ScheduleException,
    ThreadCategory,
)
from portal.services.appointments import booking, slots, visits
from tests.factories import make_account, make_user
from tests.support.schedule import make_clinic

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 09:00 in Chicago
MONDAY = date(2026, 3, 9)


def at(moment: datetime = NOW):  # noqa: ANN201
    return time_machine.travel(moment, tick=False)


@pytest.fixture
def family(db: str):  # noqa: ANN201
    clinic = make_clinic()
    account, patients = make_account(patients=[{'first_name': 'Maria', 'date_of_birth': date(1984, 3, 15)},
                                               {'first_name': 'Leo', 'date_of_birth': date(2015, 5, 1)}])
    user = make_user(account=account)
    other_account, [stranger] = make_account()
    staff = make_user(role='staff')
    return {'clinic': clinic, 'patient': patients[0], 'child': patients[1], 'stranger': stranger,
            'actor': Actor(user.id, 'patient'), 'staff': Actor(staff.id, 'staff'), 'account': account}


def _book(family: dict, when: datetime, *, patient=None, visit_type_id=None, actor=None):  # noqa: ANN001, ANN202
    clinic = family['clinic']
    with write_session() as session:
        return booking.book(session, actor=actor or family['actor'],
                            visit_type_id=visit_type_id or clinic.visit_type_id,
                            patient_id=(patient or family['patient']).id, provider_id=clinic.provider_ids[0],
                            location_id=clinic.location_id, starts_at=when)


def _count(model) -> int:  # noqa: ANN001
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_a_patient_books_an_open_time_shown_in_the_locations_zone(family: dict) -> None:
    with at():
        booked = _book(family, datetime(2026, 3, 9, 10, 30))  # wall clock in Chicago
    assert booked.starts_at == datetime(2026, 3, 9, 15, 30, tzinfo=UTC)
    assert booked.when == 'Mon, Mar 9, 2026 · 10:30 AM CDT'
    assert _count(AppointmentGranule) == 6  # 30 minutes in 5-minute granules


@pytest.mark.parametrize(('wall', 'message'), [
    (datetime(2026, 3, 2, 8, 0), 'That time has passed'),
    (datetime(2026, 3, 9, 18, 0), 'outside the provider\'s hours'),
    (datetime(2026, 3, 9, 16, 45), 'outside the provider\'s hours'),  # a 30-minute visit would end at 17:15
    (datetime(2026, 3, 7, 10, 0), 'outside the provider\'s hours'),  # a Saturday
    (datetime(2026, 5, 25, 10, 0), 'closed on May 25 for Memorial Day'),
    (datetime(2026, 3, 8, 2, 30), 'does not exist on March 8'),  # the spring-forward hour
    (datetime(2026, 3, 9, 10, 7), 'Choose one of the times shown'),
])
def test_bad_times_are_refused_with_a_message_and_nothing_is_booked(family: dict, wall: datetime,
                                                                    message: str) -> None:
    with at(), pytest.raises(ValidationFailed, match=message):
        _book(family, wall)
    assert _count(Appointment) == 0 and _count(AppointmentGranule) == 0


def test_the_spring_forward_hour_is_refused_even_where_the_provider_works_nights(db: str) -> None:
    clinic = make_clinic(start=time(0), end=time(23, 59), weekdays=range(7))
    account, [patient] = make_account()
    staff = Actor(make_user(role='staff').id, 'staff')
    with at(), write_session() as session, pytest.raises(ValidationFailed, match='clocks move forward'):
        booking.book(session, actor=staff, visit_type_id=clinic.visit_type_id, patient_id=patient.id,
                     provider_id=clinic.provider_ids[0], location_id=clinic.location_id,
                     starts_at=datetime(2026, 3, 8, 2, 15))


def test_a_taken_time_and_an_overlapping_longer_visit_are_refused(family: dict) -> None:
    with at():
        _book(family, datetime(2026, 3, 9, 10, 30))
        with pytest.raises(ValidationFailed, match='just taken'):
            _book(family, datetime(2026, 3, 9, 10, 30), patient=family['child'])
        with pytest.raises(ValidationFailed, match='just taken'):  # 10:00-11:00 covers 10:30
            _book(family, datetime(2026, 3, 9, 10, 0), patient=family['child'],
                  visit_type_id=family['clinic'].long_type_id)
        _book(family, datetime(2026, 3, 9, 11, 0), patient=family['child'])  # right after: fine
    assert _count(Appointment) == 2


def test_time_off_closes_the_day_and_the_holiday_state_adds_state_holidays(family: dict) -> None:
    with write_session() as session:
        session.add(ScheduleException(kind='time_off', day=date(2026, 3, 10), note='Dr Diaz away',
                                      provider_id=family['clinic'].provider_ids[0]))
        session.exec(select(PracticeSettings)).first() or session.add(PracticeSettings(name='Practice'))
    with write_session() as session:
        settings = session.exec(select(PracticeSettings)).one()
        settings.holiday_state = 'IL'
        session.add(settings)
    with at():
        with pytest.raises(ValidationFailed, match='Dr Diaz away'):
            _book(family, datetime(2026, 3, 10, 10, 0))
        with pytest.raises(ValidationFailed, match="Lincoln's Birthday"):  # an Illinois holiday
            _book(family, datetime(2027, 2, 12, 10, 0))


def test_a_patient_cannot_book_for_someone_not_on_their_account(family: dict) -> None:
    with at(), pytest.raises(ValidationFailed, match='only for patients on your account'):
        _book(family, datetime(2026, 3, 9, 10, 30), patient=family['stranger'])
    assert _count(Appointment) == 0


def test_new_patient_visits_are_booked_by_staff_only(family: dict) -> None:
    with at():
        with pytest.raises(ValidationFailed, match='call the office'):
            _book(family, datetime(2026, 3, 9, 10, 0), visit_type_id=family['clinic'].new_patient_type_id)
        _book(family, datetime(2026, 3, 9, 10, 0), visit_type_id=family['clinic'].new_patient_type_id,
              actor=family['staff'])


def test_reschedule_moves_the_hold_and_grows_the_sequence(family: dict) -> None:
    with at():
        booked = _book(family, datetime(2026, 3, 9, 10, 30))
        with write_session() as session:
            moved = booking.reschedule(session, actor=family['actor'], appointment_id=booked.appointment_id,
                                       starts_at=datetime(2026, 3, 9, 14, 0))
        assert moved.sequence == 1 and moved.when == 'Mon, Mar 9, 2026 · 2:00 PM CDT'
        _book(family, datetime(2026, 3, 9, 10, 30), patient=family['child'])  # the old time is free again


def test_cancel_before_the_cutoff_frees_the_time_and_a_cancelled_visit_cannot_be_rebooked(family: dict) -> None:
    with at():
        booked = _book(family, datetime(2026, 3, 9, 10, 30))
        with write_session() as session:
            booking.cancel(session, actor=family['actor'], appointment_id=booked.appointment_id)
        assert _count(AppointmentGranule) == 0
        with write_session() as session, pytest.raises(ValidationFailed, match='was cancelled'):
            booking.reschedule(session, actor=family['actor'], appointment_id=booked.appointment_id,
                               starts_at=datetime(2026, 3, 9, 11, 0))
        with write_session() as session, pytest.raises(ValidationFailed, match='was cancelled'):
            booking.cancel(session, actor=family['actor'], appointment_id=booked.appointment_id)


def test_inside_the_cutoff_a_patient_sends_a_change_request_instead(family: dict) -> None:
    with at():
        booked = _book(family, datetime(2026, 3, 9, 10, 30))
    with at(datetime(2026, 3, 8, 20, 0, tzinfo=UTC)):  # 19.5 hours before, cutoff 24
        with write_session() as session, pytest.raises(ValidationFailed, match='up to 24 hours before'):
            booking.cancel(session, actor=family['actor'], appointment_id=booked.appointment_id)
        with read_session() as session:
            view = visits.visit(session, actor=family['actor'], appointment_id=booked.appointment_id)
        assert view.inside_cutoff and not view.changeable
        with write_session() as session:
            thread_id = booking.request_change(session, actor=family['actor'], appointment_id=booked.appointment_id,
                                               body='Could we make it an hour later?')
        with write_session() as session:  # staff may still cancel
            booking.cancel(session, actor=family['staff'], appointment_id=booked.appointment_id)
    with read_session() as session:
        thread = session.get(MessageThread, thread_id)
        assert thread.category == ThreadCategory.appointment_change
        assert thread.appointment_id == booked.appointment_id
        told = session.exec(select(Notification).where(Notification.template == 'appointment_changed')).all()
    assert [row.dedupe_key for row in told] == [f'appointment-changed:{booked.appointment_id}:1']


def test_another_accounts_visit_is_not_found(family: dict) -> None:
    with at():
        booked = _book(family, datetime(2026, 3, 9, 10, 30))
    outsider = Actor(make_user().id, 'patient')
    with read_session() as session, pytest.raises(NotFound):
        visits.visit(session, actor=outsider, appointment_id=booked.appointment_id)
    with write_session() as session, pytest.raises(NotFound):
        booking.cancel(session, actor=outsider, appointment_id=booked.appointment_id)


def test_open_slots_leave_out_taken_and_past_times(family: dict) -> None:
    with at():
        _book(family, datetime(2026, 3, 9, 10, 30))
        with read_session() as session:
            days = slots.open_slots(session, actor=family['actor'], visit_type_id=family['clinic'].visit_type_id,
                                    first_day=date(2026, 3, 2), days=8)
    by_day = {day.day: [slot.local.strftime('%H:%M') for slot in day.slots] for day in days}
    assert date(2026, 3, 7) not in by_day and date(2026, 3, 8) not in by_day  # the weekend
    assert by_day[date(2026, 3, 2)][0] == '11:15'  # now is 09:00 there: patients book more than 2 hours ahead
    monday = by_day[MONDAY]
    assert '10:15' not in monday and '10:30' not in monday and '10:45' not in monday and '11:00' in monday
    assert monday[-1] == '16:30' and all(slot.zone_label == 'CDT' for day in days if day.day >= MONDAY
                                         for slot in day.slots)


def test_a_message_about_an_evening_visit_names_the_visits_own_day_and_zone(family: dict) -> None:
    from portal.services.messaging import links
    with at():
        booked = _book(family, datetime(2026, 3, 9, 16, 30))  # 21:30 UTC: still March 9 in Chicago
    with read_session() as session:
        [choice] = [item for item in links.choices(session, family['account'].id) if item.kind == 'appointment']
    assert choice.id == booked.appointment_id
    assert choice.label == 'Check-up · Mon, Mar 9, 2026 · 4:30 PM CDT'


def test_a_visit_booked_before_granules_existed_still_holds_its_time(family: dict) -> None:
    # an upgraded database: a booked visit from before migration 0017 has no granule rows
    clinic = family['clinic']
    with write_session() as session:
        session.add(Appointment(account_id=family['stranger'].account_id, patient_id=family['stranger'].id,
                                provider_id=clinic.provider_ids[0], location_id=clinic.location_id,
                                starts_at=datetime(2026, 3, 9, 15, 30, tzinfo=UTC), duration_minutes=30,
                                visit_type='Check-up'))
    with at(), pytest.raises(ValidationFailed, match='just taken'):
        _book(family, datetime(2026, 3, 9, 10, 15))  # 10:15-10:45 overlaps 10:30-11:00
    assert _count(Appointment) == 1


def test_patients_are_offered_and_may_book_only_times_more_than_two_hours_ahead_staff_any_time(family: dict) -> None:
    """A visit minutes away would already be inside the cancel cutoff: patients are not offered it."""
    def first_today(actor: Actor) -> str:
        with read_session() as session:
            days = slots.open_slots(session, actor=actor, visit_type_id=family['clinic'].visit_type_id,
                                    first_day=date(2026, 3, 2), days=1)
        return days[0].slots[0].local.strftime('%H:%M')

    with at():  # 09:00 in Chicago
        assert first_today(family['actor']) == '11:15'
        assert first_today(family['staff']) == '09:15'
        for wall in (datetime(2026, 3, 2, 9, 15), datetime(2026, 3, 2, 11, 0)):
            with pytest.raises(ValidationFailed, match='more than 2 hours from now'):
                _book(family, wall)
        assert _count(Appointment) == 0
        assert _book(family, datetime(2026, 3, 2, 9, 15), actor=family['staff']).starts_at == \
            datetime(2026, 3, 2, 15, 15, tzinfo=UTC)
        assert _book(family, datetime(2026, 3, 2, 11, 15)).starts_at == datetime(2026, 3, 2, 17, 15, tzinfo=UTC)
