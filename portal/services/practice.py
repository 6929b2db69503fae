"""The practice's facts, the one place every layer reads them: name, postal address, phone, tax id
(EIN), NPI, time zone and from address, from `PracticeSettings` (seeded from the environment on first
start by `seed_from_environment`, editable by admins), or from the environment alone while the database
has no settings row; and whether charges still with insurance are held out of what is due (payable.py
reads the same setting in its one query).

The practice's calendar follows the stored zone: `practice_today(session)` and `Practice.day_of` for services,
`cached_practice()` / `cached_zone()` (a 30 s per-process cache, see docs/architecture.md) for pages and
components that hold no session. Stored instants stay UTC.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.clock import practice_day
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.models import PracticeSettings

CACHE_SECONDS = 30.0


@dataclass(frozen=True)
class Practice:
    name: str
    phone: str
    address: str  # one line: '1200 S Main St, Springfield, IL 62704' ('' when unknown)
    address_lines: tuple[str, ...] = ()  # as on an envelope: street, then 'City, ST 12345'
    tax_id: str = ''
    npi: str = ''
    timezone: str = 'America/Chicago'  # IANA name
    hold_pending_insurance: bool = True  # charges whose claim is pending are not asked for (payable.py)
    reply_business_days: int = 2  # the billing office answers a patient's message within this many business days
    from_address: str = ''  # the envelope sender of emails

    def day_of(self, moment: datetime | None) -> date:
        """The practice's calendar day of an instant (naive instants are UTC); today when None."""
        return practice_day(moment, zone=self.timezone)


def _first_row():  # noqa: ANN202  (a select of the first settings row)
    return select(PracticeSettings).order_by(col(PracticeSettings.id)).limit(1)


def practice(session: Session) -> Practice:
    """The practice as stored (the first settings row), falling back to the environment per field."""
    settings = get_settings()
    row = session.exec(_first_row()).first()
    if row is None:
        return Practice(settings.practice_name, settings.practice_phone, '', (), settings.practice_tax_id,
                        settings.practice_npi, settings.practice_timezone, from_address=settings.mail_from)
    city_line = ', '.join(part for part in (row.city, f'{row.state} {row.postal_code}'.strip()) if part)
    lines = tuple(part for part in (row.address_line1, city_line) if part)
    return Practice(row.name or settings.practice_name, row.phone or settings.practice_phone, ', '.join(lines),
                    lines, row.tax_id or settings.practice_tax_id, row.npi or settings.practice_npi,
                    row.timezone or settings.practice_timezone, row.hold_pending_insurance,
                    reply_business_days=row.reply_business_days, from_address=row.from_address or settings.mail_from)


def load_practice() -> Practice:
    """`practice` in its own read session (for senders and pages that hold none)."""
    with read_session() as session:
        return practice(session)


def zone_name(session: Session) -> str:
    """The practice's IANA time zone: the stored one, else the configured one."""
    stored = session.exec(select(PracticeSettings.timezone).order_by(col(PracticeSettings.id)).limit(1)).first()
    return stored or get_settings().practice_timezone


def practice_zone(session: Session) -> ZoneInfo:
    """The practice's time zone (see `zone_name`) as a tzinfo."""
    return ZoneInfo(zone_name(session))


def practice_today(session: Session) -> date:
    """Today on the practice's calendar (its stored zone): "this month", "overdue", effective dates."""
    return practice_day(zone=zone_name(session))


def load_practice_today() -> date:
    """`practice_today` in its own read session."""
    with read_session() as session:
        return practice_today(session)


_cache_lock = threading.Lock()
_cached: tuple[float, Practice] | None = None  # (monotonic time read, the practice then)


def cached_practice() -> Practice:
    """The practice for pages and components that hold no session (the frame's name, a stored instant
    on the practice's clock): read from the database at most every CACHE_SECONDS per process, so an
    admin's change reaches every process within that time."""
    global _cached  # noqa: PLW0603
    with _cache_lock:
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    found = load_practice()
    with _cache_lock:
        _cached = (time.monotonic(), found)
    return found


def cached_zone() -> str:
    """The practice's IANA zone as `cached_practice` has it."""
    return cached_practice().timezone


def forget_cached() -> None:
    """Drop the cached practice (after an admin saves new facts in this process, and in tests)."""
    global _cached  # noqa: PLW0603
    with _cache_lock:
        _cached = None


def seed_from_environment() -> bool:
    """On first start: write the settings row from the environment when the database has none, so the
    stored row is the one truth from then on. Returns whether it wrote one."""
    settings = get_settings()
    with write_session() as session:
        if session.exec(_first_row()).first() is not None:
            return False
        session.add(PracticeSettings(name=settings.practice_name, timezone=settings.practice_timezone,
                                     phone=settings.practice_phone, from_address=settings.mail_from,
                                     tax_id=settings.practice_tax_id, npi=settings.practice_npi))
    return True
