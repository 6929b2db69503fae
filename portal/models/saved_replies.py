"""Saved replies staff pick in a thread; admins manage them. Bodies may hold placeholders such as
{balance}, filled with live figures when a reply is picked (portal.services.messaging.saved_replies)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class SavedReply(SQLModel, table=True):
    __tablename__ = 'saved_reply'

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=80, unique=True)
    body: str = Field(max_length=5000)
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = Field(default=None, foreign_key='user.id')
