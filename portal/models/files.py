"""Stored files (message attachments, later insurance card photos): one row per file kept on disk."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class StoredFile(SQLModel, table=True):
    """A file on disk under `storage_key` in the file directory, served at /files/{public_id} to whoever
    the owner's registered access check lets see `owner_kind` `owner_id` (see portal.services.files)."""
    __tablename__ = 'stored_file'
    __table_args__ = (Index('ix_stored_file_owner', 'owner_kind', 'owner_id'),)

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=32, unique=True)  # random, URL-safe, 128 bits
    storage_key: str = Field(max_length=64, unique=True)  # random file name on disk (not the public id)
    owner_kind: str = Field(max_length=32)  # 'message', later 'coverage'
    owner_id: int
    name: str = Field(max_length=200)  # shown and used as the download name; extension from the real type
    content_type: str = Field(max_length=100)
    size: int  # bytes as stored (after re-encoding)
    sha256: str = Field(max_length=64)  # of the stored bytes
    uploaded_by_user_id: int | None = Field(default=None, foreign_key='user.id')
    created_at: datetime = Field(default_factory=utcnow)
