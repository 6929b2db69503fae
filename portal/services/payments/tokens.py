"""Signed, expiring tokens for links that work without sign-in (itsdangerous, keyed by the storage secret).

done: the pay result page of one attempt (guests have no session to check); receipt: a guest's
emailed receipt link (7 days); guest: what a quick-pay lookup unlocked (one statement, 1 hour).
"""
from __future__ import annotations

from datetime import UTC, datetime

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from portal.config import get_settings

MAX_AGE = {'done': 2 * 86400, 'receipt': 7 * 86400, 'guest': 3600}


def _serializer(purpose: str, issued_at: datetime | None = None) -> URLSafeTimedSerializer:
    signer = TimestampSigner
    if issued_at is not None:  # the same value and instant sign to the same token
        stamp = int((issued_at if issued_at.tzinfo else issued_at.replace(tzinfo=UTC)).timestamp())
        signer = type('IssuedAt', (TimestampSigner,), {'get_timestamp': lambda self: stamp})
    return URLSafeTimedSerializer(get_settings().storage_secret, salt=f'settle-{purpose}', signer=signer)


def make(purpose: str, value: int, *, issued_at: datetime | None = None) -> str:
    """A token for `value`, timed from `issued_at` (an aware datetime; default now). A fixed `issued_at`
    makes the token repeatable: a request retried under one idempotency key must carry the same URL,
    or Stripe refuses it as the same key with other parameters."""
    return _serializer(purpose, issued_at).dumps(value)


def read(purpose: str, token: str) -> int | None:
    """The signed value, or None when the token is forged, for another purpose or expired."""
    try:
        value = _serializer(purpose).loads(token or '', max_age=MAX_AGE[purpose])
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def expired(purpose: str, token: str) -> bool:
    """True when the token is genuine (ours, for this purpose) but older than its time; False when it is
    valid or forged: a forged link is "not found", an old one of ours is "expired"."""
    try:
        _serializer(purpose).loads(token or '', max_age=MAX_AGE[purpose])
    except SignatureExpired:
        return True
    except BadSignature:
        return False
    return False
