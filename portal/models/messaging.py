"""Secure messages between patients and the billing office: threads, their messages, and who has read
how far (per recipient; unread counts are always computed from it, never stored), and uploaded files."""
from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class ThreadStatus(StrEnum):
    open = 'open'  # the billing office owes a reply
    waiting_on_patient = 'waiting_on_patient'  # the office answered or asked; the patient's turn
    resolved = 'resolved'  # done; a new message reopens it


class ThreadCategory(StrEnum):
    billing_question = 'billing_question'
    dispute_charge = 'dispute_charge'  # the patient thinks a charge is wrong (also raises a FlagKind.dispute)
    payment_plan = 'payment_plan'
    insurance_update = 'insurance_update'
    appointment_change = 'appointment_change'
    financial_help = 'financial_help'
    other = 'other'


CATEGORY_LABELS: dict[ThreadCategory, str] = {
    ThreadCategory.billing_question: 'Billing question',
    ThreadCategory.dispute_charge: 'Dispute a charge',
    ThreadCategory.payment_plan: 'Payment plan request',
    ThreadCategory.insurance_update: 'Insurance update',
    ThreadCategory.appointment_change: 'Appointment change',
    ThreadCategory.financial_help: 'Financial help',
    ThreadCategory.other: 'Other',
}
STATUS_LABELS: dict[ThreadStatus, str] = {
    ThreadStatus.open: 'Waiting for the billing office',
    ThreadStatus.waiting_on_patient: 'Waiting for you',
    ThreadStatus.resolved: 'Resolved',
}


class AuthorRole(StrEnum):
    patient = 'patient'
    staff = 'staff'


class MessageThread(SQLModel, table=True):
    """One conversation about one guarantor account. At most one of charge/payment/claim/appointment is
    linked (a charge comes with the statement it was asked from)."""
    __tablename__ = 'message_thread'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    patient_id: int | None = Field(default=None, foreign_key='patient.id')  # None: about the guarantor
    subject: str = Field(max_length=120)
    category: ThreadCategory = Field(default=ThreadCategory.other, max_length=24,
                                     sa_type=StateText(ThreadCategory, 24))
    status: ThreadStatus = Field(default=ThreadStatus.open, max_length=24, sa_type=StateText(ThreadStatus, 24),
                                 index=True)
    charge_id: int | None = Field(default=None, foreign_key='charge.id', index=True)
    statement_id: int | None = Field(default=None, foreign_key='statement.id')
    payment_id: int | None = Field(default=None, foreign_key='payment.id')
    # use_alter: once needed for the cycle claim → coverage → attachment → message → thread (attachment is
    # gone since 0015); kept so the schema matches the migrations
    claim_id: int | None = Field(default=None, sa_column_args=(ForeignKey('claim.id', use_alter=True),))
    appointment_id: int | None = Field(default=None, foreign_key='appointment.id')
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id', index=True)
    assigned_to_user_id: int | None = Field(default=None, foreign_key='user.id', index=True)
    expected_reply_by: date | None = None  # set while status is open: the office's promised reply day
    created_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow, index=True)


class Message(SQLModel, table=True):
    """One message, plain text. An internal note is staff-only: never shown to, or counted for, a patient."""
    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key='message_thread.id', index=True)
    author_user_id: int | None = Field(default=None, foreign_key='user.id')
    author_role: AuthorRole = Field(max_length=16, sa_type=StateText(AuthorRole, 16))
    body: str = Field(max_length=5000)
    internal_note: bool = False
    idempotency_key: str | None = Field(default=None, max_length=64, unique=True)  # one post per send
    created_at: datetime = Field(default_factory=utcnow)


class ThreadRead(SQLModel, table=True):
    """How far one user has read one thread: every message with a larger id is unread for them (unless
    they wrote it, or it is an internal note and they are a patient). No row: nothing read."""
    __tablename__ = 'thread_read'
    __table_args__ = (UniqueConstraint('thread_id', 'user_id'),)

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key='message_thread.id', index=True)
    user_id: int = Field(foreign_key='user.id', index=True)
    last_read_message_id: int = 0
    updated_at: datetime = Field(default_factory=utcnow)
