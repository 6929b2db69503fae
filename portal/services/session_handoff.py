"""Session hand-off: a sign-in (or MFA, or a password change) moves onto a fresh browser id.

A page that signs someone in runs over the websocket, which cannot set a cookie. So it stores the new
session here and sends the browser to GET /auth/session with a one-time token; that HTTP request issues a
new browser id and takes the session over. A cookie planted before the sign-in (a shared kiosk) is then
worth nothing. The token is stored as a SHA-256 digest, bound to the browser id that asked for it, used
once and valid for a minute; the database keeps it shared by every app process.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import select

from portal.clock import utcnow
from portal.db import write_session
from portal.models import SessionHandoff

LIFETIME = timedelta(minutes=1)
MAX_TOKEN = 100


@dataclass(frozen=True)
class Handoff:
    """What a redeemed token carries: the session's auth dict and the path to go to."""
    auth: dict[str, Any]
    next_path: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue(*, auth: dict[str, Any], next_path: str, browser_id: str) -> str:
    """Store a hand-off of `auth` (needs 'user_id'; JSON-serialisable) for the browser `browser_id`;
    returns the one-time token (URL-safe, about 43 characters) for GET /auth/session?token=..."""
    token = secrets.token_urlsafe(32)
    with write_session() as session:
        session.add(SessionHandoff(token_hash=_digest(token), browser_hash=_digest(browser_id),
                                   user_id=int(auth['user_id']), auth_json=json.dumps(auth),
                                   next_path=next_path[:200], expires_at=utcnow() + LIFETIME))
    return token


def redeem(*, token: str, browser_id: str) -> Handoff | None:
    """Use a token once. None when it is unknown, used, expired or was issued to another browser
    (a leaked link is worthless elsewhere); the row is gone after any attempt that found it."""
    token = (token or '').strip()
    if not token or len(token) > MAX_TOKEN:
        return None
    with write_session() as session:
        row = session.exec(select(SessionHandoff).where(SessionHandoff.token_hash == _digest(token))).first()
        if row is None:
            return None
        # the delete decides between two requests racing with the same token: only one removes the row
        claimed = session.execute(delete(SessionHandoff).where(SessionHandoff.id == row.id)).rowcount == 1
        if not claimed or row.expires_at <= utcnow() or not hmac.compare_digest(row.browser_hash,
                                                                                 _digest(browser_id)):
            return None
        return Handoff(auth=json.loads(row.auth_json), next_path=row.next_path)
