"""Session timeouts as a pure policy: idle timeout with a warning first, and an absolute timeout.

The UI keeps `signed_in_at` and `last_active_at` (epoch seconds) per browser and asks this
module what to do, on every HTTP request and on a timer on open pages (a connected page sends
no HTTP request, so middleware alone never sees it go idle).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SessionStatus(StrEnum):
    active = 'active'
    warn = 'warn'  # idle long enough to warn: "you will be signed out in N minutes"
    expired = 'expired'


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int = 15 * 60
    warning_seconds: int = 2 * 60
    absolute_seconds: int = 8 * 60 * 60

    @classmethod
    def from_settings(cls, settings) -> SessionPolicy:  # noqa: ANN001
        return cls(idle_seconds=settings.idle_timeout_minutes * 60,
                   warning_seconds=settings.idle_warning_minutes * 60,
                   absolute_seconds=settings.absolute_timeout_hours * 3600)

    def status(self, *, now: float, signed_in_at: float, last_active_at: float) -> SessionStatus:
        if now - signed_in_at >= self.absolute_seconds or now - last_active_at >= self.idle_seconds:
            return SessionStatus.expired
        if now - last_active_at >= self.idle_seconds - self.warning_seconds:
            return SessionStatus.warn
        return SessionStatus.active

    def seconds_left(self, *, now: float, signed_in_at: float, last_active_at: float) -> int:
        left = min(self.idle_seconds - (now - last_active_at), self.absolute_seconds - (now - signed_in_at))
        return max(0, int(left))
