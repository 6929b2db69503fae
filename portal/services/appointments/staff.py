"""The staff schedule: a day or a week of visits per provider and location (each time in its location's
zone), check-in and no-show, and the queue of patients' change requests (open "appointment change"
threads). Staff book, move and cancel through `booking` (the patient is emailed when staff move or cancel)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow, wall_instant
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    Appointment,
    AppointmentStatus,
    Location,
    MessageThread,
    Patient,
    Provider,
    ThreadCategory,
    ThreadStatus,
)
from portal.services.appointments.booking import release
from portal.services.appointments.choices import Choice
from portal.services.appointments.slots import provider_name
from portal.services.appointments.visits import VisitView, base_query, time_label, views
from portal.services.practice import practice_zone


@dataclass(frozen=True)
class ScheduleDay:
    day: date
    visits: list[VisitView]


@dataclass(frozen=True)
class ChangeRequest:
    thread_id: int
    subject: str
    appointment_id: int | None
    when: str  # the visit's time now, in its location's zone
    patient_name: str
    last_message_at: datetime


@dataclass(frozen=True)
class StaffSchedule:
    first_day: date
    days: list[ScheduleDay]
    providers: list[Choice]
    locations: list[Choice]
    requests: list[ChangeRequest]


def schedule(session: Session, /, *, actor: Actor, first_day: date, week: bool = False,
             provider_id: int | None = None, location_id: int | None = None) -> StaffSchedule:
    """Visits (all statuses) from `first_day` for one day or seven, on the practice's calendar, per
    provider and location when given; with the change-request queue. Staff only."""
    require_staff(session, actor, purpose='staff_schedule')
    zone = practice_zone(session)
    count = 7 if week else 1
    start = wall_instant(datetime.combine(first_day, datetime.min.time()), zone)
    end = wall_instant(datetime.combine(first_day + timedelta(days=count), datetime.min.time()), zone)
    query = base_query().where(Appointment.starts_at >= start, Appointment.starts_at < end)
    if provider_id:
        query = query.where(Appointment.provider_id == provider_id)
    if location_id:
        query = query.where(Appointment.location_id == location_id)
    found = views(session, query.order_by(col(Appointment.starts_at), col(Appointment.provider_id)))
    days = [ScheduleDay(first_day + timedelta(days=offset),
                        [item for item in found if item.local.date() == first_day + timedelta(days=offset)])
            for offset in range(count)]
    providers = session.exec(select(Provider).order_by(Provider.last_name, Provider.first_name)).all()
    locations = session.exec(select(Location).order_by(Location.id)).all()
    requests = change_requests(session)
    audit.record(session, action='view_staff_schedule', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='appointment', source_ip=actor.ip,
                 detail=f'{first_day.isoformat()}, {count} day(s), {len(found)} visits')
    return StaffSchedule(first_day, days, [Choice(int(row.id), provider_name(row)) for row in providers],
                         [Choice(int(row.id), row.name) for row in locations], requests)


def change_requests(session: Session, /) -> list[ChangeRequest]:
    """Open or waiting "appointment change" threads, oldest first (the caller checked staff access)."""
    rows = session.exec(
        select(MessageThread, Appointment, Patient, Location)
        .outerjoin(Appointment, col(Appointment.id) == MessageThread.appointment_id)
        .outerjoin(Patient, col(Patient.id) == Appointment.patient_id)
        .outerjoin(Location, col(Location.id) == Appointment.location_id)
        .where(MessageThread.category == ThreadCategory.appointment_change,
               MessageThread.status != ThreadStatus.resolved)
        .order_by(col(MessageThread.last_message_at))).all()
    result = []
    for thread, appointment, patient, location in rows:
        when = ''
        if appointment is not None and location is not None:
            when = time_label(appointment.starts_at.astimezone(ZoneInfo(location.timezone)))
            if appointment.status == AppointmentStatus.cancelled:
                when += ' (cancelled)'
        result.append(ChangeRequest(int(thread.id), thread.subject, appointment.id if appointment else None, when,
                                    f'{patient.first_name} {patient.last_name}' if patient else '',
                                    thread.last_message_at))
    return result


def _visit(session: Session, actor: Actor, appointment_id: int, purpose: str) -> Appointment:
    require_staff(session, actor, purpose=purpose)
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound()
    return appointment


def check_in(session: Session, /, *, actor: Actor, appointment_id: int) -> None:
    """The patient has arrived: a booked visit of today (or one begun) becomes checked in. Staff only."""
    appointment = _visit(session, actor, appointment_id, 'staff_check_in')
    if appointment.status != AppointmentStatus.booked:
        raise ValidationFailed('Only a booked visit can be checked in.')
    if appointment.starts_at - utcnow() > timedelta(hours=12):
        raise ValidationFailed('This visit is not today: check the patient in on the day.')
    appointment.status = AppointmentStatus.checked_in
    appointment.updated_at = utcnow()
    session.add(appointment)
    _audit(session, actor, 'staff_check_in', appointment)


def no_show(session: Session, /, *, actor: Actor, appointment_id: int) -> None:
    """The patient did not come: a booked visit whose time has begun becomes missed and lets go of its
    time. Staff only."""
    appointment = _visit(session, actor, appointment_id, 'staff_no_show')
    if appointment.status != AppointmentStatus.booked:
        raise ValidationFailed('Only a booked visit can be marked missed.')
    if appointment.starts_at > utcnow():
        raise ValidationFailed('The visit has not begun yet: mark it missed after its start time.')
    appointment.status = AppointmentStatus.no_show
    appointment.updated_at = utcnow()
    release(session, int(appointment.id))  # the rest of the slot is free for a walk-in
    session.add(appointment)
    _audit(session, actor, 'staff_no_show', appointment)


def _audit(session: Session, actor: Actor, action: str, appointment: Appointment) -> None:
    audit.record(session, action=action, actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='appointment', entity_id=appointment.id, account_id=appointment.account_id,
                 source_ip=actor.ip)
