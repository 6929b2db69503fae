"""Session timeouts: idle with a warning first, and absolute."""
from __future__ import annotations

from portal.auth.sessions import SessionPolicy, SessionStatus

POLICY = SessionPolicy(idle_seconds=15 * 60, warning_seconds=2 * 60, absolute_seconds=8 * 3600)
START = 1_800_000_000.0


def status(after: float, idle: float) -> SessionStatus:
    return POLICY.status(now=START + after, signed_in_at=START, last_active_at=START + after - idle)


def test_active_then_warned_then_expired_when_idle() -> None:
    assert status(60, 0) == SessionStatus.active
    assert status(20 * 60, 12 * 60) == SessionStatus.active
    assert status(20 * 60, 13 * 60) == SessionStatus.warn
    assert status(20 * 60, 15 * 60) == SessionStatus.expired


def test_absolute_timeout_ends_even_a_busy_session() -> None:
    assert status(8 * 3600 - 1, 0) == SessionStatus.active
    assert status(8 * 3600, 0) == SessionStatus.expired


def test_seconds_left_counts_down_to_the_nearer_limit() -> None:
    assert POLICY.seconds_left(now=START + 100, signed_in_at=START, last_active_at=START + 100) == 15 * 60
    assert POLICY.seconds_left(now=START + 8 * 3600 - 30, signed_in_at=START,
                               last_active_at=START + 8 * 3600 - 30) == 30
