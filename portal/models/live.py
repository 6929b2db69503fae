"""The live-update relay on SQLite: one row per published topic, read by one poller per process."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class LiveEvent(SQLModel, table=True):
    """A topic published in a committed transaction (`portal.live.publish`). AUTOINCREMENT: ids never go
    back after pruning, so "rows with an id above the last one seen" never misses a row. PostgreSQL has the
    table too (one schema) but relays topics with NOTIFY instead."""
    __tablename__ = 'live_event'
    __table_args__ = {'sqlite_autoincrement': True}

    id: int | None = Field(default=None, primary_key=True)
    topic: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
