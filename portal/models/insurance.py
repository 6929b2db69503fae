"""Insurance: payers, coverage, claims with status history, claim adjustments (CARC/RARC)."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class Payer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    payer_code: str = Field(max_length=20, unique=True)
    phone: str = Field(default='', max_length=32)


class Coverage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key='patient.id', index=True)
    payer_id: int = Field(foreign_key='payer.id')
    plan_name: str = Field(default='', max_length=120)
    member_id: str = Field(max_length=40)
    group_number: str = Field(default='', max_length=40)
    subscriber_name: str = Field(max_length=160)
    subscriber_relationship: str = Field(default='self', max_length=16)
    priority: int = 1  # 1 primary, 2 secondary
    effective_from: date | None = None
    effective_to: date | None = None
    status: str = Field(default='active', max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    # Verification by the office (0015): the queue holds coverage changed after its last verification.
    changed_at: datetime | None = None  # the patient's last add or change; None for seeded rows
    verified_at: datetime | None = None
    verified_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    corrected_fields: str = Field(default='', max_length=200)  # labels staff corrected, shown to the patient
    # Benefits snapshot, money in minor units, as of benefits_as_of (None: the office has none).
    benefits_as_of: date | None = None
    copay: int | None = None
    deductible_met: int | None = None
    deductible_remaining: int | None = None
    out_of_pocket_met: int | None = None
    out_of_pocket_remaining: int | None = None


class ClaimStatus(StrEnum):
    created = 'created'  # made by the office, not sent yet
    submitted = 'submitted'
    accepted = 'accepted'  # the insurer has it and will decide
    in_process = 'in_process'
    paid = 'paid'
    partially_paid = 'partially_paid'
    denied = 'denied'
    appealed = 'appealed'
    reprocessed = 'reprocessed'  # decided again after an appeal or a correction


class Claim(SQLModel, table=True):
    # the dashboard's denial rates and their drill-down (ORDER BY adjudicated_at, id, OFFSET) read the claims
    # decided in a period from this index alone (migrations 0020_dash, 0023_claim_order)
    __table_args__ = (Index('ix_claim_decided', 'adjudicated_at', 'id', 'status', 'billed_amount'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    patient_id: int = Field(foreign_key='patient.id')
    encounter_id: int = Field(foreign_key='encounter.id', index=True)
    coverage_id: int | None = Field(default=None, foreign_key='coverage.id')
    claim_number: str = Field(max_length=40, unique=True)
    status: ClaimStatus = Field(default=ClaimStatus.submitted, max_length=16, sa_type=StateText(ClaimStatus, 16))
    billed_amount: int = 0
    allowed_amount: int = 0
    paid_amount: int = 0
    patient_responsibility: int = 0
    submitted_at: datetime = Field(default_factory=utcnow)
    adjudicated_at: datetime | None = None


class ClaimStatusEvent(SQLModel, table=True):
    __tablename__ = 'claim_status_event'

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key='claim.id', index=True)
    status: ClaimStatus = Field(max_length=16, sa_type=StateText(ClaimStatus, 16))
    at: datetime = Field(default_factory=utcnow)
    code: str = Field(default='', max_length=16)


class ClaimAdjustment(SQLModel, table=True):
    __tablename__ = 'claim_adjustment'

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key='claim.id', index=True)
    charge_id: int | None = Field(default=None, foreign_key='charge.id', index=True)
    group_code: str = Field(max_length=2)  # CO, PR, OA, PI, CR
    carc_code: str = Field(max_length=8)
    rarc_code: str = Field(default='', max_length=8)
    amount: int
