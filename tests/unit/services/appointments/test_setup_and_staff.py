"""The admins' schedule set-up refuses bad input with a message (and is for admins only); staff check in
and mark no-shows only when it makes sense; staff find patients by name or birth date; the staff schedule
lists the change-request queue."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import AppointmentGranule, AppointmentStatus, AuditEvent, ProviderAvailability, VisitType
from portal.services.appointments import booking, choices, setup, slots, staff
from tests.factories import make_account, make_user
from tests.support.schedule import make_clinic

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def people(db: str) -> dict:
    return {'admin': Actor(make_user(role='admin').id, 'admin'), 'staff': Actor(make_user(role='staff').id, 'staff'),
            'patient': Actor(make_user().id, 'patient')}


def _call(function, **kwargs):  # noqa: ANN001, ANN003, ANN202
    with write_session() as session:
        return function(session, **kwargs)


@pytest.mark.parametrize(('fields', 'message'), [
    ({'price': '4,60'}, 'like 4.60'),
    ({'price': '0'}, 'more than zero'),
    ({'codes': '9921'}, 'CPT or HCPCS codes'),
    ({'codes': ''}, 'CPT or HCPCS codes'),
    ({'duration_minutes': 32}, 'steps of 5'),
    ({'name': '  '}, 'Enter the name'),
])
def test_visit_types_refuse_bad_prices_codes_and_lengths(people: dict, fields: dict, message: str) -> None:
    good = {'name': 'Flu shot', 'duration_minutes': 15, 'price': '45.00', 'codes': '90686, g0008',
            'patient_bookable': True, 'new_patients': False}
    with pytest.raises(ValidationFailed, match=message):
        _call(setup.add_visit_type, actor=people['admin'], **(good | fields))
    visit_type_id = _call(setup.add_visit_type, actor=people['admin'], **good)
    with read_session() as session:
        row = session.get(VisitType, visit_type_id)
    assert (row.price, row.codes) == (4500, '90686,G0008')


def test_set_up_is_for_admins_only(people: dict) -> None:
    for actor in (people['staff'], people['patient']):
        with pytest.raises(NotFound):
            _call(setup.setup, actor=actor)
        with pytest.raises(NotFound):
            _call(setup.add_provider, actor=actor, npi='1234567890', first_name='A', last_name='B', credentials='MD')


def test_locations_need_a_real_zone_and_hours_cannot_overlap_for_one_provider(people: dict) -> None:
    admin = people['admin']
    with pytest.raises(ValidationFailed, match='time zone'):
        _call(setup.add_location, actor=admin, name='X', address_line1='1 A St', city='Town', state='IL',
              postal_code='62704', timezone='America/Springfield')
    clinic = make_clinic()
    other = _call(setup.add_location, actor=admin, name='West', address_line1='1 A St', city='Boise', state='ID',
                  postal_code='83702', timezone='America/Boise')
    with pytest.raises(ValidationFailed, match='overlap'):  # the provider is at the clinic 9-17 on Mondays
        _call(setup.add_hours, actor=admin, provider_id=clinic.provider_ids[0], location_id=other, weekday=0,
              start='16:00', end='18:00')
    with pytest.raises(ValidationFailed, match='end after they start'):
        _call(setup.add_hours, actor=admin, provider_id=clinic.provider_ids[0], location_id=other, weekday=5,
              start='12:00', end='09:00')
    _call(setup.add_hours, actor=admin, provider_id=clinic.provider_ids[0], location_id=other, weekday=5,
          start='09:00', end='12:00')
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(ProviderAvailability)).one() == 6


def test_extra_hours_open_a_saturday_and_show_as_slots(people: dict) -> None:
    clinic = make_clinic()
    with time_machine.travel(NOW, tick=False):
        _call(setup.add_exception, actor=people['admin'], kind='extra_hours', day=date(2026, 3, 7),
              provider_id=clinic.provider_ids[0], location_id=clinic.location_id, start='09:00', end='10:00')
        with pytest.raises(ValidationFailed, match='Extra hours need'):
            _call(setup.add_exception, actor=people['admin'], kind='extra_hours', day=date(2026, 3, 7))
        with read_session() as session:
            days = slots.open_slots(session, actor=people['staff'], visit_type_id=clinic.visit_type_id,
                                    first_day=date(2026, 3, 7), days=1)
    assert [slot.local.strftime('%H:%M') for slot in days[0].slots] == ['09:00', '09:15', '09:30']


def test_check_in_on_the_day_and_no_show_once_begun_which_frees_the_time(people: dict) -> None:
    clinic = make_clinic()
    account, [patient] = make_account(guarantor_last_name='Quill', patients=[
        {'first_name': 'Ada', 'last_name': 'Quill', 'date_of_birth': date(1990, 7, 4)}])
    with time_machine.travel(NOW, tick=False):
        early = _call(booking.book, actor=people['staff'], visit_type_id=clinic.visit_type_id, patient_id=patient.id,
                      provider_id=clinic.provider_ids[0], location_id=clinic.location_id,
                      starts_at=datetime(2026, 3, 2, 10, 0))
        later = _call(booking.book, actor=people['staff'], visit_type_id=clinic.visit_type_id, patient_id=patient.id,
                      provider_id=clinic.provider_ids[0], location_id=clinic.location_id,
                      starts_at=datetime(2026, 3, 5, 10, 0))
        with pytest.raises(ValidationFailed, match='not today'):
            _call(staff.check_in, actor=people['staff'], appointment_id=later.appointment_id)
        with pytest.raises(ValidationFailed, match='not begun'):
            _call(staff.no_show, actor=people['staff'], appointment_id=early.appointment_id)
        _call(staff.check_in, actor=people['staff'], appointment_id=early.appointment_id)
        with pytest.raises(NotFound):
            _call(staff.check_in, actor=people['patient'], appointment_id=later.appointment_id)
    with time_machine.travel(datetime(2026, 3, 5, 16, 10, tzinfo=UTC), tick=False):
        _call(staff.no_show, actor=people['staff'], appointment_id=later.appointment_id)
        with read_session() as session:
            held = session.exec(select(AppointmentGranule.appointment_id)).all()
            view = staff.schedule(session, actor=people['staff'], first_day=date(2026, 3, 2), week=True)
            found = choices.find_patients(session, actor=people['staff'], text='quill, a')
            by_birth = choices.find_patients(session, actor=people['staff'], text='07/04/1990')
    assert set(held) == {early.appointment_id}
    statuses = {item.id: item.status for day in view.days for item in day.visits}
    assert statuses == {early.appointment_id: AppointmentStatus.checked_in,
                        later.appointment_id: AppointmentStatus.no_show}
    assert [match.id for match in found] == [patient.id] and [match.id for match in by_birth] == [patient.id]


@pytest.mark.parametrize('typed', ['dvorak', 'DVOŘÁK', 'obrien', "o'brien", 'alvarez, sofia', 'sofia alvarez',
                                   'alvarez sof', '1984-03-15', '03/15/1984'])
def test_staff_find_patients_by_the_desk_search_rule_ignoring_accents_and_apostrophes(people, typed) -> None:
    _, [dvorak] = make_account(guarantor_first_name='Jiří', guarantor_last_name='Dvořák')
    _, [obrien] = make_account(guarantor_first_name='Seán', guarantor_last_name="O'Brien")
    _, [sofia] = make_account(guarantor_first_name='Sofía', guarantor_last_name='Álvarez')
    _, [other] = make_account(guarantor_first_name='Ana', guarantor_last_name='Alvarado',
                              patients=[{'first_name': 'Ana', 'last_name': 'Alvarado',
                                         'date_of_birth': date(1970, 1, 2)}])
    expected = {'dvorak': dvorak, 'DVOŘÁK': dvorak, 'obrien': obrien, "o'brien": obrien}.get(typed, sofia)
    with write_session() as session:
        found = choices.find_patients(session, actor=people['staff'], text=typed)
    if typed[0].isdigit():  # every one of the three is born 1984-03-15 (the factory's default)
        assert {match.id for match in found} == {dvorak.id, obrien.id, sofia.id}
    else:
        assert [match.id for match in found] == [expected.id]
        assert found[0].date_of_birth == date(1984, 3, 15)
    assert other.id not in {match.id for match in found}


def test_staff_find_patients_is_audited_once_per_search(people) -> None:
    make_account(guarantor_first_name='Sofía', guarantor_last_name='Álvarez')
    with write_session() as session:
        choices.find_patients(session, actor=people['staff'], text='alvarez')
    with read_session() as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == 'staff_find_patient')).all()
    assert [(event.actor_user_id, event.detail) for event in events] == [(people['staff'].user_id, '1 found')]
