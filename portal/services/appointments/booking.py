"""Booking, rescheduling and cancelling a visit, by a patient (for patients on their accounts, up to the
practice's cutoff; inside it a change request instead) or by staff (any time; the patient is emailed).

Double booking is impossible by construction: a held visit writes one `AppointmentGranule` per 5-minute
granule it covers, unique per provider, so of two requests for overlapping times exactly one commits (on
SQLite the writers queue behind BEGIN IMMEDIATE; on PostgreSQL the second insert waits for the first and
then fails on the key). Every refusal raises ValidationFailed with a message for the person, and nothing
is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portal import audit
from portal.auth.permissions import Actor, Refused, require_account
from portal.clock import practice_day, utcnow
from portal.config import get_settings
from portal.db import savepoint_for_statement
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    Appointment,
    AppointmentGranule,
    AppointmentStatus,
    Location,
    Patient,
    Provider,
    ThreadCategory,
    VisitType,
)
from portal.services.appointments import hours
from portal.services.appointments.slots import TAKEN, bookable_type, check_fits, notice_for
from portal.services.appointments.visits import cutoff_hours, time_label
from portal.services.messaging import compose
from portal.services.practice import practice_zone
from portal.services.reminders import Sweep


class NotOnAccount(ValidationFailed):
    """A patient the user may not book for; carries the refusal's audit event like `Refused`."""

    def __init__(self, refused: Refused) -> None:
        super().__init__('You can book only for patients on your account.',
                         field_errors={'patient': 'Not on your account.'})
        self.keep_after_rollback = refused.keep_after_rollback


@dataclass(frozen=True)
class Booked:
    appointment_id: int
    starts_at: datetime  # UTC
    when: str  # in the location's zone, labelled with it
    sequence: int


def _patient(session: Session, actor: Actor, patient_id: int, purpose: str) -> Patient:
    patient = session.get(Patient, patient_id)
    try:
        if patient is None:
            raise NotFound()
        require_account(session, actor, patient.account_id, purpose=purpose)
    except Refused as refused:
        raise NotOnAccount(refused) from None
    except NotFound:
        raise ValidationFailed('Choose a patient from the list.', field_errors={'patient': 'Choose one.'}) from None
    return patient


def _place(session: Session, provider_id: int, location_id: int) -> tuple[Provider, Location]:
    provider, location = session.get(Provider, provider_id), session.get(Location, location_id)
    if provider is None or not provider.active:
        raise ValidationFailed('Choose a provider from the list.', field_errors={'provider': 'Choose one.'})
    if location is None or not location.active:
        raise ValidationFailed('Choose a location from the list.', field_errors={'location': 'Choose one.'})
    return provider, location


def _wall(starts_at: datetime, location: Location) -> datetime:
    """A naive wall-clock time at the location (as given), or an instant seen there."""
    if starts_at.tzinfo is None:
        return starts_at
    return starts_at.astimezone(ZoneInfo(location.timezone)).replace(tzinfo=None)


def _hold(session: Session, appointment: Appointment) -> None:
    """Write the visit's granules; TAKEN when any is held by another visit of the provider."""
    rows = [{'provider_id': appointment.provider_id, 'granule_start': start, 'appointment_id': appointment.id}
            for start in hours.granule_starts(appointment.starts_at, appointment.duration_minutes)]
    connection = session.connection()
    try:
        with savepoint_for_statement(connection):
            connection.execute(AppointmentGranule.__table__.insert(), rows)  # type: ignore[attr-defined]
    except IntegrityError:
        raise ValidationFailed(TAKEN, field_errors={'time': 'Taken.'}) from None


def release(session: Session, /, appointment_id: int) -> None:
    """Free a visit's granules (cancelled, moved, missed): only booked and checked-in visits hold time."""
    session.connection().execute(delete(AppointmentGranule).where(
        AppointmentGranule.appointment_id == appointment_id))  # type: ignore[arg-type]


def _audit(session: Session, actor: Actor, action: str, appointment: Appointment) -> None:
    audit.record(session, action=action, actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='appointment', entity_id=appointment.id, account_id=appointment.account_id,
                 source_ip=actor.ip)


def _booked(appointment: Appointment, location: Location) -> Booked:
    local = appointment.starts_at.astimezone(ZoneInfo(location.timezone))
    return Booked(int(appointment.id), appointment.starts_at, time_label(local), appointment.sequence)


def book(session: Session, /, *, actor: Actor, visit_type_id: int, patient_id: int, provider_id: int,
         location_id: int, starts_at: datetime) -> Booked:
    """Book a visit at `starts_at`: a naive wall-clock time at the location, or an aware instant.

    ValidationFailed (nothing booked) for a visit type the actor may not book, a patient not on the
    user's accounts, an unknown provider or location, a time in the past, on the spring-forward hour, on
    a holiday or day off, outside the provider's hours there, or already taken."""
    visit_type = bookable_type(session, actor, visit_type_id)
    patient = _patient(session, actor, patient_id, 'book_appointment')
    provider, location = _place(session, provider_id, location_id)
    start = check_fits(session, provider_id=int(provider.id), location=location, visit_type=visit_type,
                       wall=_wall(starts_at, location), notice=notice_for(actor))
    if starts_at.tzinfo is not None and start != starts_at.astimezone(UTC):
        raise ValidationFailed('Choose one of the times shown.', field_errors={'time': 'Choose a time.'})
    appointment = Appointment(account_id=patient.account_id, patient_id=int(patient.id), provider_id=int(provider.id),
                              location_id=int(location.id), starts_at=start, visit_type=visit_type.name,
                              visit_type_id=int(visit_type.id), duration_minutes=visit_type.duration_minutes,
                              booked_by_user_id=actor.user_id, updated_at=utcnow())
    session.add(appointment)
    session.flush()
    _hold(session, appointment)
    _audit(session, actor, 'book_appointment', appointment)
    return _booked(appointment, location)


def _changeable(session: Session, actor: Actor, appointment_id: int, purpose: str) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound()
    require_account(session, actor, appointment.account_id, purpose=purpose)
    if appointment.status == AppointmentStatus.cancelled:
        raise ValidationFailed('This visit was cancelled, so it cannot be changed. Please book a new visit.')
    if appointment.status != AppointmentStatus.booked or appointment.starts_at <= utcnow():
        raise ValidationFailed('This visit has already taken place or begun, so it cannot be changed online.')
    if not actor.is_staff:
        cutoff = cutoff_hours(session)
        if appointment.starts_at - utcnow() < timedelta(hours=cutoff):
            raise ValidationFailed(f'Visits can be changed online up to {cutoff} hours before they start. '
                                   'Please send the office a change request instead.')
    return appointment


def reschedule(session: Session, /, *, actor: Actor, appointment_id: int, starts_at: datetime,
               provider_id: int | None = None, location_id: int | None = None) -> Booked:
    """Move a booked visit to another time (and optionally provider or location): the same checks as a
    booking, plus the cutoff for patients; a cancelled visit is refused. SEQUENCE grows by one."""
    appointment = _changeable(session, actor, appointment_id, 'reschedule_appointment')
    visit_type = session.get(VisitType, appointment.visit_type_id) if appointment.visit_type_id else None
    if visit_type is None:
        visit_type = VisitType(name=appointment.visit_type, duration_minutes=appointment.duration_minutes)
    provider, location = _place(session, provider_id or appointment.provider_id,
                                location_id or appointment.location_id)
    start = check_fits(session, provider_id=int(provider.id), location=location, visit_type=visit_type,
                       wall=_wall(starts_at, location), ignore_appointment=appointment.id, notice=notice_for(actor))
    release(session, int(appointment.id))
    appointment.starts_at, appointment.provider_id, appointment.location_id = start, int(provider.id), int(location.id)
    appointment.sequence += 1
    appointment.updated_at = utcnow()
    session.add(appointment)
    session.flush()
    _hold(session, appointment)
    _audit(session, actor, 'reschedule_appointment', appointment)
    if actor.is_staff:
        _tell_patient(session, appointment)
    return _booked(appointment, location)


def cancel(session: Session, /, *, actor: Actor, appointment_id: int) -> Booked:
    """Cancel a booked visit (patients up to the cutoff): its time is free again; SEQUENCE grows by one."""
    appointment = _changeable(session, actor, appointment_id, 'cancel_appointment')
    release(session, int(appointment.id))
    appointment.status = AppointmentStatus.cancelled
    appointment.sequence += 1
    appointment.updated_at = utcnow()
    session.add(appointment)
    _audit(session, actor, 'cancel_appointment', appointment)
    if actor.is_staff:
        _tell_patient(session, appointment)
    return _booked(appointment, session.get(Location, appointment.location_id))  # type: ignore[arg-type]


def request_change(session: Session, /, *, actor: Actor, appointment_id: int, body: str,
                   idempotency_key: str | None = None) -> int:
    """A patient's change request for a booked visit (inside the cutoff): an "appointment change" message
    thread linked to the visit, in the office's queue; returns the thread id."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound()
    require_account(session, actor, appointment.account_id, purpose='request_appointment_change')
    if appointment.status != AppointmentStatus.booked or appointment.starts_at <= utcnow():
        raise ValidationFailed('Only an upcoming booked visit can be changed.')
    location = session.get(Location, appointment.location_id)
    when = time_label(appointment.starts_at.astimezone(ZoneInfo(location.timezone)))  # type: ignore[union-attr]
    return compose.start_thread(session, actor=actor, account_id=appointment.account_id,
                                category=ThreadCategory.appointment_change, subject=f'Change my visit on {when}',
                                body=body, link=f'appointment:{appointment.id}', idempotency_key=idempotency_key)


def _tell_patient(session: Session, appointment: Appointment) -> None:
    """Email (and text, per their choices) the people on the account that the office changed a visit; no
    PHI, a link to /appointments; one message per change (keyed by the visit's SEQUENCE)."""
    zone = practice_zone(session)
    now = utcnow()
    sweep = Sweep(session=session, today=practice_day(now, zone=zone), now=now,
                  base_url=get_settings().public_base_url, zone=zone)
    sweep.notify(account_id=appointment.account_id, template='appointment_changed',
                 key=f'appointment-changed:{appointment.id}:{appointment.sequence}', path='/appointments')
