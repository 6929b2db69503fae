"""What a visit looks like to people: one view with its time in the location's zone (labelled with the
zone on every screen, file and message), and the patient's list of upcoming and past visits."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.clock import utcnow
from portal.errors import NotFound
from portal.models import Appointment, AppointmentStatus, Location, Patient, Provider
from portal.services.practice import practice

ACTIVE = (AppointmentStatus.booked, AppointmentStatus.checked_in)
STATUS_LABELS = {AppointmentStatus.booked: 'Booked', AppointmentStatus.checked_in: 'Checked in',
                 AppointmentStatus.completed: 'Completed', AppointmentStatus.cancelled: 'Cancelled',
                 AppointmentStatus.no_show: 'Missed'}


def time_label(local: datetime) -> str:
    """'Tue, Dec 1, 2026 · 9:30 AM CST': a visit's time in its location's zone, always with the zone."""
    clock = local.strftime('%I:%M %p').lstrip('0')
    return f'{local:%a}, {local:%b} {local.day}, {local.year} · {clock} {local.tzname()}'


def address_of(location: Location) -> str:
    city_line = ' '.join(part for part in (f'{location.city},' if location.city else '', location.state,
                                           location.postal_code) if part)
    return ', '.join(part for part in (location.address_line1, city_line) if part)


def cutoff_hours(session: Session, /) -> int:
    """The practice's cutoff: patients change visits online up to this many hours before them."""
    return practice(session).cancel_cutoff_hours


@dataclass(frozen=True)
class VisitView:
    id: int
    account_id: int
    patient_id: int
    patient_name: str
    starts_at: datetime  # UTC
    local: datetime  # in the location's zone
    duration_minutes: int
    visit_type: str
    visit_type_id: int | None
    provider_id: int
    provider_name: str
    location_id: int
    location_name: str
    location_address: str
    zone_name: str  # IANA
    status: str
    sequence: int
    changeable: bool  # booked, ahead, and before the cutoff: the patient may reschedule or cancel online
    inside_cutoff: bool  # booked and ahead but inside the cutoff: the patient sends a change request

    @property
    def when(self) -> str:
        return time_label(self.local)

    @property
    def ends_local(self) -> datetime:
        return (self.starts_at + timedelta(minutes=self.duration_minutes)).astimezone(ZoneInfo(self.zone_name))

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(AppointmentStatus(self.status), self.status)


def base_query():  # noqa: ANN202
    """Visits with their patient's name, provider and location, as `views` reads them."""
    return (select(Appointment, Patient.first_name, Patient.last_name, Provider, Location)
            .join(Patient, col(Patient.id) == Appointment.patient_id)
            .join(Provider, col(Provider.id) == Appointment.provider_id)
            .join(Location, col(Location.id) == Appointment.location_id))


def _view(row, *, cutoff: int, now: datetime) -> VisitView:  # noqa: ANN001
    appointment, first, last, provider, location = row
    ahead = appointment.status == AppointmentStatus.booked and appointment.starts_at > now
    before_cutoff = appointment.starts_at - now >= timedelta(hours=cutoff)
    zone = ZoneInfo(location.timezone)
    return VisitView(
        id=int(appointment.id), account_id=appointment.account_id, patient_id=appointment.patient_id,
        patient_name=f'{first} {last}', starts_at=appointment.starts_at,
        local=appointment.starts_at.astimezone(zone), duration_minutes=appointment.duration_minutes,
        visit_type=appointment.visit_type, visit_type_id=appointment.visit_type_id, provider_id=provider.id,
        provider_name=f'{provider.first_name} {provider.last_name}, {provider.credentials}',
        location_id=int(location.id), location_name=location.name, location_address=address_of(location),
        zone_name=location.timezone, status=appointment.status, sequence=appointment.sequence,
        changeable=ahead and before_cutoff, inside_cutoff=ahead and not before_cutoff)


def views(session: Session, /, query, *, now: datetime | None = None) -> list[VisitView]:  # noqa: ANN001
    cutoff, now = cutoff_hours(session), now or utcnow()
    return [_view(row, cutoff=cutoff, now=now) for row in session.exec(query).all()]


def visit(session: Session, /, *, actor: Actor, appointment_id: int, purpose: str = 'view_appointment') -> VisitView:
    """One visit, for someone who may act on its account (NotFound otherwise, audited)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound()
    require_account(session, actor, appointment.account_id, purpose=purpose)
    return views(session, base_query().where(Appointment.id == appointment_id))[0]


@dataclass(frozen=True)
class MyVisits:
    upcoming: list[VisitView]
    past: list[VisitView]
    cutoff_hours: int
    can_book: bool  # the user has at least one patient to book for


def my_visits(session: Session, /, *, actor: Actor) -> MyVisits:
    """Upcoming (soonest first) and past (latest first, the last 20) visits of every patient on the accounts
    the user may act on. Views of accounts not their own are audited."""
    relationships = account_relationships(session, actor.user_id)
    for account_id, relationship in relationships.items():
        if relationship != 'self':
            audit.record(session, action='view_appointments', actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                         detail=f'relationship={relationship}')
    accounts = list(relationships)
    now = utcnow()
    upcoming = views(session, base_query().where(col(Appointment.account_id).in_(accounts),
                                             col(Appointment.status).in_(ACTIVE), Appointment.starts_at > now)
                     .order_by(col(Appointment.starts_at)), now=now)
    shown = {visit.id for visit in upcoming}
    past = [visit for visit in views(session, base_query().where(col(Appointment.account_id).in_(accounts))
                                     .where((Appointment.starts_at <= now)
                                            | col(Appointment.status).notin_(ACTIVE))
                                     .order_by(col(Appointment.starts_at).desc()).limit(20), now=now)
            if visit.id not in shown]
    return MyVisits(upcoming=upcoming, past=past, cutoff_hours=cutoff_hours(session), can_book=bool(accounts))
