"""Guarantor accounts, the patients on them, and flags (holds, disputes) staff put on them."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class FlagKind(StrEnum):
    """Why an account is flagged. A patient's billing dispute and a card chargeback are separate kinds,
    so resolving one leaves the other open."""
    statement_hold = 'statement_hold'
    collections_hold = 'collections_hold'
    dispute = 'dispute'  # the patient says a charge is wrong (raised from a statement line)
    chargeback = 'chargeback'  # the card holder disputed a payment with their bank (a gateway dispute)
    financial_assistance = 'financial_assistance_pending'

    @property
    def label(self) -> str:
        """What staff read for this kind."""
        return _FLAG_LABELS[self]


_FLAG_LABELS = {
    FlagKind.statement_hold: 'Statement hold',
    FlagKind.collections_hold: 'Collections hold',
    FlagKind.dispute: 'Billing dispute',
    FlagKind.chargeback: 'Card chargeback',
    FlagKind.financial_assistance: 'Financial assistance pending',
}


class GuarantorAccount(SQLModel, table=True):
    __tablename__ = 'guarantor_account'

    id: int | None = Field(default=None, primary_key=True)
    account_number: str = Field(max_length=20, unique=True)  # printed on statements
    guarantor_first_name: str = Field(max_length=80)
    guarantor_last_name: str = Field(max_length=80)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    address_line1: str = Field(default='', max_length=120)
    address_line2: str = Field(default='', max_length=120)
    city: str = Field(default='', max_length=80)
    state: str = Field(default='', max_length=2)
    postal_code: str = Field(default='', max_length=10)
    currency: str = Field(default='USD', max_length=3)
    paperless: bool = False
    status: str = Field(default='active', max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class Patient(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    mrn: str = Field(max_length=20, unique=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    date_of_birth: date
    sex: str = Field(default='U', max_length=1)
    relationship_to_guarantor: str = Field(default='self', max_length=16)  # self, spouse, child, other
    created_at: datetime = Field(default_factory=utcnow)


class AccountFlag(SQLModel, table=True):
    __tablename__ = 'account_flag'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    kind: FlagKind = Field(max_length=32, sa_type=StateText(FlagKind, 32))
    reason: str = Field(default='', max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    cleared_at: datetime | None = None
    cleared_by_user_id: int | None = Field(default=None, foreign_key='user.id')
