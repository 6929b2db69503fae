"""Append-only audit events: who did what to which record, from where. Never PHI in free text."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = 'audit_event'

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key='user.id', index=True)
    actor_role: str = Field(default='', max_length=16)
    action: str = Field(max_length=48)
    entity_type: str = Field(default='', max_length=32)
    entity_id: str = Field(default='', max_length=40)
    account_id: int | None = Field(default=None, foreign_key='guarantor_account.id', index=True)
    outcome: str = Field(default='ok', max_length=16)  # ok, denied, failed
    source_ip: str = Field(default='', max_length=45)
    detail: str = Field(default='', max_length=200)
