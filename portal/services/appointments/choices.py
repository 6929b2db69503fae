"""What the booking form offers: the visit types the actor may book, the patients they may book for,
providers and locations (with each location's zone), and, when moving a visit, that visit."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_staff
from portal.errors import ValidationFailed
from portal.models import Location, Patient, Provider, VisitType
from portal.money import format_money
from portal.services.appointments.slots import provider_name
from portal.services.appointments.visits import VisitView, address_of, visit
from portal.services.desk.search import matching_patients


@dataclass(frozen=True)
class Choice:
    id: int
    label: str
    detail: str = ''


@dataclass(frozen=True)
class BookingForm:
    visit_types: list[Choice]  # detail: '30 minutes · self-pay $150.00'
    patients: list[Choice]
    providers: list[Choice]  # detail: specialty
    locations: list[Choice]  # detail: address and zone
    moving: VisitView | None = None  # the visit being rescheduled


def _visit_type_choice(row: VisitType) -> Choice:
    return Choice(int(row.id), row.name, f'{row.duration_minutes} minutes · self-pay '
                                         f'{format_money(row.price, row.currency)}')


def booking_form(session: Session, /, *, actor: Actor, reschedule_id: int | None = None,
                 patient_ids: list[int] | None = None) -> BookingForm:
    """Patients get their own patients and the visit types they may book themselves; staff pass the
    patient they found (`patient_ids`) and get every visit type. `reschedule_id`: a visit the actor may
    change (NotFound otherwise)."""
    moving = visit(session, actor=actor, appointment_id=reschedule_id) if reschedule_id is not None else None
    if moving is not None and moving.visit_type_id is None:  # an older visit: its type by name, when offered
        named = session.exec(select(VisitType.id).where(VisitType.name == moving.visit_type)).first()
        moving = replace(moving, visit_type_id=named)
    types = select(VisitType).where(VisitType.active == True).order_by(VisitType.id)  # noqa: E712
    if actor.is_staff:
        require_staff(session, actor, purpose='staff_booking_form')
        patients = session.exec(select(Patient).where(col(Patient.id).in_(patient_ids or []))).all()
    else:
        types = types.where(VisitType.patient_bookable == True, VisitType.new_patients == False)  # noqa: E712
        accounts = list(account_relationships(session, actor.user_id))
        patients = session.exec(select(Patient).where(col(Patient.account_id).in_(accounts))
                                .order_by(Patient.account_id, Patient.id)).all()
    providers = session.exec(select(Provider).where(Provider.active == True)  # noqa: E712
                             .order_by(Provider.last_name, Provider.first_name)).all()
    locations = session.exec(select(Location).where(Location.active == True).order_by(Location.id)).all()  # noqa: E712
    return BookingForm(
        visit_types=[_visit_type_choice(row) for row in session.exec(types).all()],
        patients=[Choice(int(row.id), f'{row.first_name} {row.last_name}',
                         f'born {row.date_of_birth:%b} {row.date_of_birth.day}, {row.date_of_birth.year}')
                  for row in patients],
        providers=[Choice(int(row.id), provider_name(row), row.specialty) for row in providers],
        locations=[Choice(int(row.id), row.name, f'{address_of(row)} · times in {_zone_words(row.timezone)}')
                   for row in locations],
        moving=moving)


ZONE_WORDS = {'America/New_York': 'Eastern time', 'America/Detroit': 'Eastern time',
              'America/Indiana/Indianapolis': 'Eastern time', 'America/Chicago': 'Central time',
              'America/Denver': 'Mountain time', 'America/Boise': 'Mountain time', 'America/Phoenix': 'Arizona time',
              'America/Los_Angeles': 'Pacific time', 'America/Anchorage': 'Alaska time',
              'Pacific/Honolulu': 'Hawaii time'}


def _zone_words(zone: str) -> str:
    return ZONE_WORDS.get(zone, zone.replace('_', ' '))


@dataclass(frozen=True)
class PatientMatch:
    id: int
    account_id: int
    name: str
    date_of_birth: date


def find_patients(session: Session, /, *, actor: Actor, text: str) -> tuple[PatientMatch, ...]:
    """Staff: patients `text` names by the account desk's search rule (`desk.search.matching_patients`:
    name with accents, case and apostrophes ignored, 'last, first' or 'first last'; date of birth; MRN);
    at most 20, by last and first name. Audited."""
    require_staff(session, actor, purpose='staff_find_patient')
    text = ' '.join(text.split())
    if len(text) < 2:
        raise ValidationFailed('Type at least two letters of the last name, or a date of birth.')
    matching = matching_patients(text)
    rows = [] if matching is None else session.exec(
        select(Patient).where(col(Patient.id).in_(select(matching.subquery().c[0])))
        .order_by(col(Patient.last_key), col(Patient.first_key), col(Patient.id)).limit(20)).all()
    audit.record(session, action='staff_find_patient', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='patient', detail=f'{len(rows)} found', source_ip=actor.ip)
    return tuple(PatientMatch(int(row.id), row.account_id, f'{row.first_name} {row.last_name}', row.date_of_birth)
                 for row in rows)
