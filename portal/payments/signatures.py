"""Stripe-style webhook signatures (`Stripe-Signature: t=<seconds>,v1=<hex hmac>`), without the SDK.

The DemoGateway verifies with this (only stripe_gateway imports stripe), and tests and benchmarks
sign their deliveries with `sign`. The HMAC-SHA256 is over "<t>.<raw body>"; stale timestamps are
refused so a captured delivery cannot be replayed later.
"""
from __future__ import annotations

import hashlib
import hmac
import time

from portal.payments.gateway import WebhookRejected

TOLERANCE_SECONDS = 300


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f'{stamp}.'.encode() + payload, hashlib.sha256).hexdigest()
    return f't={stamp},v1={digest}'


def verify(payload: bytes, header: str | None, secret: str, *, tolerance: int = TOLERANCE_SECONDS) -> None:
    """Raise WebhookRejected unless `header` signs `payload` with `secret` within the tolerance."""
    if not secret:
        raise WebhookRejected('no webhook secret is configured')
    if not header:
        raise WebhookRejected('missing signature')
    parts: dict[str, list[str]] = {}
    for item in header.split(','):
        key, _, value = item.strip().partition('=')
        parts.setdefault(key, []).append(value)
    try:
        stamp = int(parts.get('t', [''])[0])
    except ValueError:
        raise WebhookRejected('bad signature header') from None
    expected = hmac.new(secret.encode(), f'{stamp}.'.encode() + payload, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get('v1', [])):
        raise WebhookRejected('signature does not match')
    if abs(time.time() - stamp) > tolerance:
        raise WebhookRejected('stale signature')
