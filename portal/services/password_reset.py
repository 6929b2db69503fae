"""Password-reset links made at send time: the database holds only digests of reset tokens.

A reset row is created with the digest of a token nobody knows; when its email goes out, a fresh token
replaces that digest and the link is rendered straight into the message. Sending again (a retry)
makes a new token, so at most the last link sent works.
"""
from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import update

from portal.clock import utcnow
from portal.config import get_settings
from portal.db import write_session
from portal.models import PasswordResetToken


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def placeholder_digest() -> str:
    """A digest for a new reset row until its email is sent: of a token that is thrown away."""
    return token_digest(secrets.token_urlsafe(32))


def mint_link(reset_id: int) -> str | None:
    """A new link ('<base>/reset?token=...') for an unused, unexpired reset, or None. Only the
    token's digest is stored; the link exists in the message being sent and nowhere else."""
    token = secrets.token_urlsafe(32)
    with write_session() as session:
        minted = session.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.id == reset_id, PasswordResetToken.used_at.is_(None),
                   PasswordResetToken.expires_at > utcnow())
            .values(token_hash=token_digest(token))).rowcount == 1
    return f'{get_settings().public_base_url}/reset?token={token}' if minted else None
