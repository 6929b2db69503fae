"""Care delivered and scheduled: providers, locations, encounters, charges, appointments, estimates.

The scheduling tables (visit types, exceptions, the per-provider time granules that make double
booking impossible) live in `portal.models.schedule`."""
from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class Provider(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    npi: str = Field(max_length=10, unique=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    credentials: str = Field(default='MD', max_length=20)
    specialty: str = Field(default='', max_length=80)
    active: bool = True  # inactive providers keep their history but get no new bookings


class Location(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    address_line1: str = Field(default='', max_length=120)
    city: str = Field(default='', max_length=80)
    state: str = Field(default='', max_length=2)
    postal_code: str = Field(default='', max_length=10)
    phone: str = Field(default='', max_length=32)
    timezone: str = Field(default='America/Chicago', max_length=64)  # IANA zone: hours and visits are shown in it
    active: bool = True


class Encounter(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    patient_id: int = Field(foreign_key='patient.id', index=True)
    provider_id: int = Field(foreign_key='provider.id')
    location_id: int = Field(foreign_key='location.id')
    date_of_service: date
    visit_type: str = Field(default='Office visit', max_length=80)
    external_id: str | None = Field(default=None, max_length=64, unique=True)


class Charge(SQLModel, table=True):
    __table_args__ = (Index('ix_charge_account_dos', 'account_id', 'date_of_service'),)

    id: int | None = Field(default=None, primary_key=True)
    encounter_id: int = Field(foreign_key='encounter.id', index=True)
    account_id: int = Field(foreign_key='guarantor_account.id')
    patient_id: int = Field(foreign_key='patient.id', index=True)
    code: str = Field(max_length=10)  # CPT or HCPCS
    code_system: str = Field(default='CPT', max_length=8)
    modifier: str = Field(default='', max_length=8)
    description: str = Field(max_length=200)  # plain language
    units: int = 1
    amount: int  # minor units, billed amount for all units
    currency: str = Field(default='USD', max_length=3)
    date_of_service: date
    external_id: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class AppointmentStatus(StrEnum):
    booked = 'booked'
    checked_in = 'checked_in'
    completed = 'completed'
    cancelled = 'cancelled'
    no_show = 'no_show'


class Appointment(SQLModel, table=True):
    """A visit: an instant in UTC, shown in its location's zone. While booked or checked in, its
    provider's 5-minute granules are held in `appointment_granule` (unique per provider and granule)."""
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    patient_id: int = Field(foreign_key='patient.id', index=True)
    provider_id: int = Field(foreign_key='provider.id')
    location_id: int = Field(foreign_key='location.id')
    starts_at: datetime = Field(index=True)
    duration_minutes: int = 30
    visit_type: str = Field(default='Office visit', max_length=80)
    status: str = Field(default='booked', max_length=16)  # AppointmentStatus
    created_at: datetime = Field(default_factory=utcnow)
    visit_type_id: int | None = Field(default=None, foreign_key='visit_type.id')
    sequence: int = 0  # grows with each change (its calendar file's SEQUENCE)
    updated_at: datetime | None = None
    booked_by_user_id: int | None = Field(default=None, foreign_key='user.id')


class ProviderAvailability(SQLModel, table=True):
    """Weekly hours of a provider at a location: local wall-clock times in the location's zone, so
    9:00-17:00 stays 9:00-17:00 across daylight-saving changes."""
    __tablename__ = 'provider_availability'

    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key='provider.id', index=True)
    location_id: int = Field(foreign_key='location.id')
    weekday: int  # 0 = Monday
    start_time: time
    end_time: time
    slot_minutes: int = 15  # offered start times are this far apart


class Estimate(SQLModel, table=True):
    """A good-faith estimate; its items are a JSON list of {code, description, amount}."""
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    patient_id: int = Field(foreign_key='patient.id')
    provider_id: int | None = Field(default=None, foreign_key='provider.id')
    appointment_id: int | None = Field(default=None, foreign_key='appointment.id')
    service_date: date | None = None
    items_json: str = Field(default='[]', max_length=20000)
    total_amount: int = 0
    expected_insurance: int = 0
    expected_patient: int = 0
    deposit_amount: int = 0
    currency: str = Field(default='USD', max_length=3)
    status: str = Field(default='issued', max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
