"""Staff invitations: an admin invites a person by email; a single-use link (72 hours) lets them set a
password and enrol their authenticator app. Only the digest of the link's token is stored."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class StaffInvite(SQLModel, table=True):
    __tablename__ = 'staff_invite'

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, index=True)
    role: str = Field(max_length=16)  # staff or admin
    first_name: str = Field(default='', max_length=80)
    last_name: str = Field(default='', max_length=80)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 of the emailed token (minted at send time)
    invited_by_user_id: int = Field(foreign_key='user.id')
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None
    user_id: int | None = Field(default=None, foreign_key='user.id')  # the user the invite became
