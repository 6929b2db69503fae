"""The database-backed sliding-window rate limiter."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from portal.auth import ratelimit
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import RateLimited
from portal.models import RateLimitHit

WINDOW = timedelta(minutes=15)


def _hit(key: str = 'maria@example.com', *, limit: int = 3, bucket: str = 'test') -> None:
    with write_session() as session:
        ratelimit.hit(session, bucket, key, limit=limit, window=WINDOW)


def test_allows_the_limit_then_refuses_with_a_wait(db: str) -> None:
    for _ in range(3):
        _hit()
    with pytest.raises(RateLimited) as refused:
        _hit()
    assert refused.value.message == 'Too many attempts. Please wait 15 minutes and try again.'
    with read_session() as session:
        assert ratelimit.count(session, 'test', 'maria@example.com', window=WINDOW) == 3  # refusals not counted


def test_keys_and_buckets_are_separate(db: str) -> None:
    for _ in range(3):
        _hit('a@example.com')
    with pytest.raises(RateLimited):  # a@example.com is at the limit in this bucket...
        _hit('a@example.com')
    _hit('b@example.com')  # ...which neither another key
    _hit('a@example.com', bucket='other')  # nor another bucket shares
    with read_session() as session:
        assert ratelimit.count(session, 'test', 'a@example.com', window=WINDOW) == 3
        assert ratelimit.count(session, 'test', 'b@example.com', window=WINDOW) == 1
        assert ratelimit.count(session, 'other', 'a@example.com', window=WINDOW) == 1


def test_window_slides(db: str) -> None:
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            _hit()
            traveller.shift(timedelta(minutes=5))
        # hits at 0, 5 and 10 minutes; now 15: the first has just left the window
        _hit()
        with pytest.raises(RateLimited) as refused:
            _hit()
        assert 'wait 5 minutes' in refused.value.message
        traveller.shift(timedelta(minutes=5, seconds=1))
        _hit()


def test_one_minute_is_singular(db: str) -> None:
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as traveller:
        _hit(limit=1)
        traveller.shift(WINDOW - timedelta(seconds=30))
        with pytest.raises(RateLimited, match='wait 1 minute and'):
            _hit(limit=1)


def test_keys_are_stored_as_digests(db: str) -> None:
    _hit('maria@example.com')
    _hit('203.0.113.9', bucket='ip')
    with read_session() as session:
        rows = session.exec(select(RateLimitHit)).all()
    assert {len(row.key_hash) for row in rows} == {64}
    stored = ' '.join(row.key_hash for row in rows)
    assert 'maria' not in stored and '203.0.113.9' not in stored


def test_clear_and_purge(db: str) -> None:
    for _ in range(3):
        _hit()
    with write_session() as session:
        ratelimit.clear(session, 'test', 'maria@example.com')
    _hit()
    with write_session() as session:
        assert ratelimit.purge_expired(session, utcnow() + timedelta(seconds=1)) == 1
    with read_session() as session:
        assert session.exec(select(RateLimitHit)).all() == []


def test_policy_constants() -> None:
    assert (ratelimit.SIGN_IN_ACCOUNT_IP.limit, ratelimit.SIGN_IN_ACCOUNT_IP.window) == (5, timedelta(minutes=15))
    assert (ratelimit.SIGN_IN_ACCOUNT.free, ratelimit.SIGN_IN_ACCOUNT.cap) == (10, timedelta(minutes=1))
    assert (ratelimit.SIGN_IN_IP.limit, ratelimit.SIGN_IN_IP.window) == (30, timedelta(minutes=15))
    assert (ratelimit.REGISTRATION_IP.limit, ratelimit.REGISTRATION_IP.window) == (10, timedelta(hours=1))
    assert (ratelimit.RESET_REQUEST_IP.limit, ratelimit.RESET_REQUEST_EMAIL.limit) == (5, 3)
    assert (ratelimit.TOTP_USER.limit, ratelimit.TOTP_USER.window) == (5, timedelta(minutes=15))
    assert (ratelimit.GUEST_LOOKUP_IP.limit, ratelimit.GUEST_LOOKUP_IP.window) == (10, timedelta(minutes=15))
    buckets = [value.bucket for value in vars(ratelimit).values()
               if isinstance(value, ratelimit.Policy | ratelimit.Spacing)]
    assert len(buckets) == len(set(buckets))
    assert all(len(bucket) <= 32 for bucket in buckets)
