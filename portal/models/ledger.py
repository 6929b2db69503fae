"""The append-only ledger. Balances are sums of entries; rows are never updated or deleted.

Sign: positive means the patient owes more (charges, refunds of their payments), negative means
less (insurance payments, adjustments, write-offs, patient payments). A correction is a new row
that names the entry it corrects and falls into that entry's kind on statements.
"""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class LedgerKind(StrEnum):
    charge = 'charge'
    insurance_payment = 'insurance_payment'
    contractual_adjustment = 'contractual_adjustment'
    patient_payment = 'patient_payment'
    refund = 'refund'
    write_off = 'write_off'
    correction = 'correction'


class LedgerEntry(SQLModel, table=True):
    __tablename__ = 'ledger_entry'
    __table_args__ = (
        # covering indexes (amount included): balances, statements and dashboards read only the index
        Index('ix_ledger_entry_account_id_id', 'account_id', 'id', 'amount'),
        Index('ix_ledger_entry_kind_date', 'kind', 'effective_date', 'amount'),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id')
    patient_id: int | None = Field(default=None, foreign_key='patient.id')
    charge_id: int | None = Field(default=None, foreign_key='charge.id', index=True)
    kind: LedgerKind = Field(max_length=32, sa_type=StateText(LedgerKind, 32))
    amount: int  # signed minor units
    currency: str = Field(default='USD', max_length=3)
    effective_date: date
    posted_at: datetime = Field(default_factory=utcnow)
    external_ref: str = Field(max_length=120, unique=True)  # idempotency: one movement, one row
    corrects_entry_id: int | None = Field(default=None, foreign_key='ledger_entry.id')
    corrects_kind: LedgerKind | None = Field(default=None, max_length=32, sa_type=StateText(LedgerKind, 32))
    payment_id: int | None = Field(default=None, foreign_key='payment.id')
    refund_id: int | None = Field(default=None, foreign_key='refund.id')
    claim_id: int | None = Field(default=None, foreign_key='claim.id')
    carc_code: str | None = Field(default=None, max_length=8)
    memo: str = Field(default='', max_length=200)  # never PHI
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id')
