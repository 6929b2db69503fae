"""The notification outbox (one row per message, unique dedupe key) and preferences."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class Notification(SQLModel, table=True):
    # the per-person text limits count what was sent to a number recently
    __table_args__ = (Index('ix_notification_channel_recipient_sent', 'channel', 'recipient', 'sent_at'),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=8)  # email, sms
    template: str = Field(max_length=40)
    recipient: str = Field(max_length=254)
    user_id: int | None = Field(default=None, foreign_key='user.id')
    account_id: int | None = Field(default=None, foreign_key='guarantor_account.id')
    dedupe_key: str = Field(max_length=160, unique=True)
    context_json: str = Field(default='{}', max_length=4000)  # template values; never PHI
    status: str = Field(default='pending', max_length=16, index=True)  # pending, sending, sent, failed, suppressed
    created_at: datetime = Field(default_factory=utcnow)
    send_after: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    attempts: int = 0
    last_error: str = Field(default='', max_length=300)


class NotificationPreference(SQLModel, table=True):
    __tablename__ = 'notification_preference'
    __table_args__ = (UniqueConstraint('user_id', 'kind', 'channel'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='user.id', index=True)
    kind: str = Field(max_length=32)  # statement, reminder, payment, appointment, message
    channel: str = Field(max_length=8)
    enabled: bool = True
    stopped_at: datetime | None = None  # an SMS STOP
