"""The staff side of messaging: saved replies staff pick in a thread (admins manage them; bodies may hold
placeholders such as {balance}, filled with live figures when picked), and the staff queue's indexes on
`message_thread` (migration 0012_messaging_indexes), declared here so the metadata matches the database."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.models.messaging import MessageThread


class SavedReply(SQLModel, table=True):
    __tablename__ = 'saved_reply'

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80, unique=True)
    body: str = Field(max_length=5000)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = Field(default=None, foreign_key='user.id')


_thread = MessageThread.__table__.c  # type: ignore[attr-defined]
QUEUE_INDEXES = (
    Index('ix_message_thread_queue_status', _thread.status, _thread.last_message_at, _thread.id),
    Index('ix_message_thread_queue_assignee', _thread.assigned_to_user_id, _thread.status, _thread.last_message_at),
    Index('ix_message_thread_queue_category', _thread.category, _thread.status, _thread.last_message_at),
    Index('ix_message_thread_queue_counts', _thread.status, _thread.category, _thread.assigned_to_user_id,
          _thread.expected_reply_by),
)
