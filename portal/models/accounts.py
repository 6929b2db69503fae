"""Guarantor accounts, the patients on them, and flags (holds, disputes) staff put on them."""
from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, event
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


_NOT_KEY = re.compile(r'[^a-z0-9]+')
# letters NFKD does not take apart into a base letter and an accent ('Søren' -> 'soren', 'Ægir' -> 'aegir')
_PLAIN = str.maketrans({'ß': 'ss', 'ł': 'l', 'Ł': 'L', 'ø': 'o', 'Ø': 'O', 'æ': 'ae', 'Æ': 'AE', 'œ': 'oe',
                        'Œ': 'OE', 'đ': 'd', 'Đ': 'D', 'ð': 'd', 'Ð': 'D', 'þ': 'th', 'Þ': 'TH', 'ı': 'i', 'ħ': 'h',
                        # an apostrophe joins: "O'Brien" is 'obrien', found as O'Brien, OBrien or obrien
                        "'": '', '’': '', 'ʼ': '', '‘': '', '`': ''})


def search_key(text: str | None) -> str:
    """A name as search compares it: accents and case folded, punctuation a space ('Sofía Álvarez-Núñez'
    -> 'sofia alvarez nunez'). Stored beside each name, so a search is an index range, not a scan."""
    decomposed = unicodedata.normalize('NFKD', (text or '').translate(_PLAIN))
    plain = ''.join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return _NOT_KEY.sub(' ', plain).strip()[:80]


def phone_key(text: str | None) -> str:
    """A phone number as search compares it: its last ten digits ('(512) 555-0147' -> '5125550147')."""
    return ''.join(ch for ch in (text or '') if ch.isdigit())[-10:]


class GuarantorAccount(SQLModel, table=True):
    __tablename__ = 'guarantor_account'
    __table_args__ = (Index('ix_guarantor_account_last_first', 'last_key', 'first_key'),
                      Index('ix_guarantor_account_first_key', 'first_key'),
                      Index('ix_guarantor_account_phone_key', 'phone_key'))

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
    # search keys, kept by the listeners below (and by the demo writer): search_key / phone_key of the fields
    first_key: str = Field(default='', max_length=80)
    last_key: str = Field(default='', max_length=80)
    phone_key: str = Field(default='', max_length=10)


class Patient(SQLModel, table=True):
    __table_args__ = (Index('ix_patient_last_first', 'last_key', 'first_key'),
                      Index('ix_patient_first_key', 'first_key'),
                      Index('ix_patient_date_of_birth', 'date_of_birth'))

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    mrn: str = Field(max_length=20, unique=True)
    first_name: str = Field(max_length=80)
    last_name: str = Field(max_length=80)
    date_of_birth: date
    sex: str = Field(default='U', max_length=1)
    relationship_to_guarantor: str = Field(default='self', max_length=16)  # self, spouse, child, other
    created_at: datetime = Field(default_factory=utcnow)
    first_key: str = Field(default='', max_length=80)  # search_key(first_name), kept by the listeners below
    last_key: str = Field(default='', max_length=80)


@event.listens_for(GuarantorAccount, 'before_insert')
@event.listens_for(GuarantorAccount, 'before_update')
def _account_keys(_mapper, _connection, account: GuarantorAccount) -> None:  # noqa: ANN001
    account.first_key = search_key(account.guarantor_first_name)
    account.last_key = search_key(account.guarantor_last_name)
    account.phone_key = phone_key(account.phone)


@event.listens_for(Patient, 'before_insert')
@event.listens_for(Patient, 'before_update')
def _patient_keys(_mapper, _connection, patient: Patient) -> None:  # noqa: ANN001
    patient.first_key = search_key(patient.first_name)
    patient.last_key = search_key(patient.last_name)


class AccountFlag(SQLModel, table=True):
    __tablename__ = 'account_flag'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    kind: FlagKind = Field(max_length=32, sa_type=StateText(FlagKind, 32))
    reason: str = Field(default='', max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    expires_on: date | None = None  # a hold the office set until a day (None: until cleared)
    cleared_at: datetime | None = None
    cleared_by_user_id: int | None = Field(default=None, foreign_key='user.id')
