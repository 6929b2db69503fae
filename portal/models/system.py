"""Practice-wide settings (one row) and job runs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class PracticeSettings(SQLModel, table=True):
    __tablename__ = 'practice_settings'

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    logo_path: str = Field(default='', max_length=200)
    timezone: str = Field(default='America/Chicago', max_length=64)
    phone: str = Field(default='', max_length=32)
    from_address: str = Field(default='', max_length=254)
    address_line1: str = Field(default='', max_length=120)
    city: str = Field(default='', max_length=80)
    state: str = Field(default='', max_length=2)
    postal_code: str = Field(default='', max_length=10)
    tax_id: str = Field(default='', max_length=20)  # the practice's EIN, printed on receipts for HSA/FSA claims
    npi: str = Field(default='', max_length=10)  # the practice's (group) NPI
    statement_cadence_days: int = 28
    statement_due_days: int = 21
    reminder_ladder: str = Field(default='30,60,90', max_length=40)
    # charges whose claim is still with insurance are not asked for until it answers (payable.py)
    hold_pending_insurance: bool = True
    reply_business_days: int = 2  # the office answers a patient's message within this many business days
    cancel_cutoff_hours: int = 24  # patients reschedule or cancel up to this long before a visit
    holiday_state: str = Field(default='', max_length=2)  # US state whose public holidays close the practice
    quiet_hours_start: int = 21  # no texts from this hour (practice time) ...
    quiet_hours_end: int = 8  # ... until this hour
    # an adjustment (write-off) above this, in minor units, waits for an admin other than the requester
    adjustment_approval_limit: int = 10_000
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = Field(default=None, foreign_key='user.id')


class JobRun(SQLModel, table=True):
    __tablename__ = 'job_run'
    __table_args__ = (UniqueConstraint('job', 'key'),)

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=48)
    key: str = Field(max_length=80)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    outcome: str = Field(default='running', max_length=16)  # running, ok, failed
    items: int = 0
    error: str = Field(default='', max_length=300)
