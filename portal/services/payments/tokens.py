"""Signed, expiring tokens for links that work without sign-in (itsdangerous, keyed by the storage secret).

done: the pay result page of one attempt (guests have no session to check); receipt: a guest's
emailed receipt link (7 days); guest: what a quick-pay lookup unlocked (one statement, 1 hour).
"""
from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.config import get_settings

MAX_AGE = {'done': 2 * 86400, 'receipt': 7 * 86400, 'guest': 3600}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().storage_secret, salt=f'settle-{purpose}')


def make(purpose: str, value: int) -> str:
    return _serializer(purpose).dumps(value)


def read(purpose: str, token: str) -> int | None:
    """The signed value, or None when the token is forged, for another purpose or expired."""
    try:
        value = _serializer(purpose).loads(token or '', max_age=MAX_AGE[purpose])
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
