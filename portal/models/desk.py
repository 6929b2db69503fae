"""The staff account desk: notes staff keep on an account, and adjustments (write-offs) that wait for an
admin's approval when they are over the practice's limit."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class AdjustmentReason(StrEnum):
    small_balance = 'small_balance'
    financial_hardship = 'financial_hardship'
    prompt_pay_discount = 'prompt_pay_discount'
    bad_debt = 'bad_debt'
    administrative_correction = 'administrative_correction'

    @property
    def label(self) -> str:
        return _REASON_LABELS[self]


_REASON_LABELS = {
    AdjustmentReason.small_balance: 'Small balance',
    AdjustmentReason.financial_hardship: 'Financial hardship',
    AdjustmentReason.prompt_pay_discount: 'Prompt-pay discount',
    AdjustmentReason.bad_debt: 'Bad debt',
    AdjustmentReason.administrative_correction: 'Administrative correction',
}


class AdjustmentStatus(StrEnum):
    pending = 'pending'  # over the limit: waits for another admin
    posted = 'posted'  # on the ledger
    declined = 'declined'


class AccountNote(SQLModel, table=True):
    __tablename__ = 'account_note'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    body: str = Field(max_length=2000)  # staff-only; never shown to the patient
    created_at: datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id')


class AdjustmentRequest(SQLModel, table=True):
    __tablename__ = 'adjustment_request'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    amount: int  # minor units, positive: what the patient will owe less
    currency: str = Field(default='USD', max_length=3)
    reason: AdjustmentReason = Field(max_length=32, sa_type=StateText(AdjustmentReason, 32))
    note: str = Field(default='', max_length=200)
    status: AdjustmentStatus = Field(max_length=16, sa_type=StateText(AdjustmentStatus, 16), index=True)
    requested_at: datetime = Field(default_factory=utcnow)
    requested_by_user_id: int = Field(foreign_key='user.id')
    decided_at: datetime | None = None
    decided_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    decision_note: str = Field(default='', max_length=200)
    self_approved: bool = False  # the practice's only admin posted their own, after a second confirmation
    ledger_entry_id: int | None = Field(default=None, foreign_key='ledger_entry.id')
