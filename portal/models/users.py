"""Users, their access to guarantor accounts, password-reset tokens, session hand-offs and rate-limit hits."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class Role(StrEnum):
    patient = 'patient'
    staff = 'staff'
    admin = 'admin'


class Relationship(StrEnum):
    self_ = 'self'
    parent = 'parent'
    guardian = 'guardian'
    proxy = 'authorized billing proxy'


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.patient, max_length=16)
    first_name: str = Field(default='', max_length=80)
    last_name: str = Field(default='', max_length=80)
    is_active: bool = True
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = None
    mfa_exempt: bool = False  # only ever set on the seeded demo staff and admin users of a demo database
    failed_sign_ins: int = 0
    locked_until: datetime | None = None
    oidc_subject: str | None = Field(default=None, max_length=255, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_sign_in_at: datetime | None = None
    password_changed_at: datetime | None = None
    mobile_phone: str | None = Field(default=None, max_length=16, index=True)  # E.164, for texts the user chose


class AccountAccess(SQLModel, table=True):
    __tablename__ = 'account_access'
    __table_args__ = (UniqueConstraint('user_id', 'account_id'),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='user.id', index=True)
    account_id: int = Field(foreign_key='guarantor_account.id', index=True)
    relationship: str = Field(default=Relationship.self_, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class PasswordResetToken(SQLModel, table=True):
    __tablename__ = 'password_reset_token'

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key='user.id', index=True)
    token_hash: str = Field(max_length=64, unique=True)  # sha256 of the emailed token; the token itself is never stored
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class SessionHandoff(SQLModel, table=True):
    """A sign-in waiting to move onto a fresh browser id (GET /auth/session): one use, one minute.

    Only digests of the token and of the browser id that asked are stored.
    """
    __tablename__ = 'session_handoff'

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    browser_hash: str = Field(max_length=64)
    user_id: int = Field(foreign_key='user.id', index=True)
    auth_json: str = Field(max_length=2000)  # what the session needs: identity, role, timestamps, MFA state
    next_path: str = Field(max_length=200)
    expires_at: datetime = Field(index=True)


class RateLimitHit(SQLModel, table=True):
    """One counted attempt in a sliding window; the key is a hash, never an email or address."""
    __tablename__ = 'rate_limit_hit'
    __table_args__ = (Index('ix_rate_limit_hit_bucket_key_at', 'bucket', 'key_hash', 'created_at'),)

    id: int | None = Field(default=None, primary_key=True)
    bucket: str = Field(max_length=32)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
