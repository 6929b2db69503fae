"""Secure messages between patients and billing staff, and uploaded files."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.columns import StateText


class ThreadStatus(StrEnum):
    open = 'open'  # waiting for a reply, or answered and not yet closed
    closed = 'closed'


class ThreadKind(StrEnum):
    general = 'general'
    charge_question = 'charge_question'  # about one statement line
    dispute = 'dispute'  # the patient thinks a charge is wrong (also raises a FlagKind.dispute)


class MessageThread(SQLModel, table=True):
    __tablename__ = 'message_thread'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    subject: str = Field(max_length=120)
    kind: ThreadKind = Field(default=ThreadKind.general, max_length=24, sa_type=StateText(ThreadKind, 24))
    status: ThreadStatus = Field(default=ThreadStatus.open, max_length=16, sa_type=StateText(ThreadStatus, 16))
    charge_id: int | None = Field(default=None, foreign_key='charge.id')
    statement_id: int | None = Field(default=None, foreign_key='statement.id')
    created_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    assigned_to_user_id: int | None = Field(default=None, foreign_key='user.id')
    created_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(foreign_key='message_thread.id', index=True)
    author_user_id: int | None = Field(default=None, foreign_key='user.id')
    author_role: str = Field(max_length=16)  # patient or staff
    body: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow)
    read_by_patient_at: datetime | None = None
    read_by_staff_at: datetime | None = None


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_id: int | None = Field(default=None, foreign_key='message.id', index=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    uploaded_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=100)
    size_bytes: int
    storage_key: str = Field(max_length=200, unique=True)
    sha256: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
