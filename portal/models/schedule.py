"""Scheduling: visit types, exceptions to the weekly hours, and the granules that make double booking
impossible by construction (one row per provider per 5-minute granule a held visit covers, unique on
(provider_id, granule_start); visits of any length therefore cannot overlap, on SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

GRANULE_MINUTES = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def granule_of(moment: datetime) -> int:
    """The number of the 5-minute granule an instant falls in (minutes since 1970 / 5)."""
    return int((moment - EPOCH).total_seconds()) // (GRANULE_MINUTES * 60)


def granule_starts(start: datetime, duration: int) -> list[datetime]:
    """The UTC starts of the granules a visit of `duration` minutes from `start` covers."""
    first = EPOCH + timedelta(minutes=granule_of(start) * GRANULE_MINUTES)
    count = -(-int((start + timedelta(minutes=duration) - first).total_seconds()) // (GRANULE_MINUTES * 60))
    return [first + timedelta(minutes=GRANULE_MINUTES * index) for index in range(count)]


class VisitType(SQLModel, table=True):
    __tablename__ = 'visit_type'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)  # in plain words: 'Check-up for an existing patient'
    duration_minutes: int = 30
    price: int = 0  # self-pay price, minor units
    currency: str = Field(default='USD', max_length=3)
    codes: str = Field(default='', max_length=80)  # CPT/HCPCS codes, comma-separated: '99213' or '99395,G0439'
    patient_bookable: bool = True  # patients may book it themselves
    new_patients: bool = False  # for new patients (booked by staff only)
    active: bool = True


class ExceptionKind(StrEnum):
    time_off = 'time_off'  # no visits in the window (a whole day when no times)
    extra_hours = 'extra_hours'  # one-off hours on top of the weekly template
    closed = 'closed'  # the location (or practice, with no location) is closed


class ScheduleException(SQLModel, table=True):
    """A one-day change to the weekly hours, in local wall-clock times of the location's zone. No
    provider: every provider; no location: every location; no times: the whole day."""
    __tablename__ = 'schedule_exception'

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # ExceptionKind
    day: date = Field(index=True)
    provider_id: int | None = Field(default=None, foreign_key='provider.id')
    location_id: int | None = Field(default=None, foreign_key='location.id')
    start_time: time | None = None
    end_time: time | None = None
    note: str = Field(default='', max_length=120)


class AppointmentGranule(SQLModel, table=True):
    """A provider's 5-minute granule held by a booked or checked-in visit. The unique key is the
    guarantee: a second visit covering any of these granules cannot be written."""
    __tablename__ = 'appointment_granule'
    __table_args__ = (UniqueConstraint('provider_id', 'granule_start'),)

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key='provider.id')
    granule_start: datetime  # UTC, on a 5-minute boundary
    appointment_id: int = Field(foreign_key='appointment.id', index=True)
