"""Remittances (835 imports): one row per payment (payer + trace number), its claims, service lines and
adjustments as the payer sent them, the ledger entries each claim posted, and provider-level (PLB)
amounts, which are the practice's money and never on a patient's ledger."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class MatchState(StrEnum):
    matched = 'matched'  # found by claim number and payer at import
    open = 'open'  # not found: waiting for staff
    matched_by_hand = 'matched_by_hand'
    not_ours = 'not_ours'  # staff said the claim is not this practice's: nothing posts


class Remittance(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=120, unique=True)  # payer + trace number: one payment, imported once
    payer_id: int | None = Field(default=None, foreign_key='payer.id')
    payer_name: str = Field(max_length=120)
    trace_number: str = Field(max_length=50)
    amount: int  # BPR02, minor units
    method: str = Field(default='', max_length=8)
    payment_date: date | None = None
    file_name: str = Field(default='', max_length=200)
    file_hash: str = Field(max_length=64, index=True)
    imported_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    imported_at: datetime = Field(default_factory=utcnow)
    claims_count: int = 0
    claims_matched: int = 0
    claims_unmatched: int = 0
    plb_total: int = 0  # sum of PLB amounts as in the file (positive: taken off the payment)
    warnings_count: int = 0
    findings: str = Field(default='', sa_type=Text)  # one finding a line: "line N, SEG ELEM: message"


class RemittanceClaim(SQLModel, table=True):
    __tablename__ = 'remittance_claim'

    id: int | None = Field(default=None, primary_key=True)
    remittance_id: int = Field(foreign_key='remittance.id', index=True)
    seq: int  # position in the remittance
    line: int  # the CLP's segment number in the file
    claim_number: str = Field(max_length=40, index=True)  # CLP01 as the practice submitted it
    status_code: str = Field(max_length=4)  # CLP02
    payer_claim_number: str = Field(default='', max_length=50)  # CLP07
    billed: int
    paid: int
    patient_responsibility: int = 0
    patient_name: str = Field(default='', max_length=160)
    member_id: str = Field(default='', max_length=80)
    service_date: date | None = None
    remarks: str = Field(default='', max_length=200)  # MOA remark codes, space separated
    corrected: bool = False
    match_state: MatchState = Field(max_length=16, sa_type=StateText(MatchState, 16))
    claim_id: int | None = Field(default=None, foreign_key='claim.id', index=True)
    matched_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    matched_at: datetime | None = None
    reverses_id: int | None = Field(default=None, foreign_key='remittance_claim.id')  # a reversal's original
    posted: bool = False


class RemittanceLine(SQLModel, table=True):
    __tablename__ = 'remittance_line'

    id: int | None = Field(default=None, primary_key=True)
    remittance_claim_id: int = Field(foreign_key='remittance_claim.id', index=True)
    seq: int
    code: str = Field(max_length=10)
    modifiers: str = Field(default='', max_length=20)  # space separated
    billed: int
    paid: int
    units: int = 1
    service_date: date | None = None
    control_number: str = Field(default='', max_length=50)  # REF*6R
    remarks: str = Field(default='', max_length=200)  # LQ*HE codes
    charge_id: int | None = Field(default=None, foreign_key='charge.id')


class RemittanceAdjustment(SQLModel, table=True):
    __tablename__ = 'remittance_adjustment'

    id: int | None = Field(default=None, primary_key=True)
    remittance_claim_id: int = Field(foreign_key='remittance_claim.id', index=True)
    remittance_line_id: int | None = Field(default=None, foreign_key='remittance_line.id')
    group_code: str = Field(max_length=2)
    reason_code: str = Field(max_length=8)
    amount: int  # as in the file


class RemittancePosting(SQLModel, table=True):
    """A ledger entry a remittance claim posted: what a later reversal corrects."""
    __tablename__ = 'remittance_posting'

    id: int | None = Field(default=None, primary_key=True)
    remittance_claim_id: int = Field(foreign_key='remittance_claim.id', index=True)
    ledger_entry_id: int = Field(foreign_key='ledger_entry.id', unique=True)


class ProviderLevelAdjustment(SQLModel, table=True):
    """A PLB reason/amount pair: the practice's money (interest, recoupment, forward balance)."""
    __tablename__ = 'provider_level_adjustment'

    id: int | None = Field(default=None, primary_key=True)
    remittance_id: int = Field(foreign_key='remittance.id', index=True)
    provider_id: str = Field(default='', max_length=50)
    fiscal_date: date | None = None
    reason_code: str = Field(max_length=4)
    reference: str = Field(default='', max_length=50)
    amount: int  # as in the file: positive reduces the payment
