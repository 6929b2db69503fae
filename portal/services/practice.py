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

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.background import DaemonLoop
from portal.clock import practice_day
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.models import PracticeSettings

CACHE_SECONDS = 30.0
log = logging.getLogger(__name__)


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
    cancel_cutoff_hours: int = 24  # patients reschedule or cancel online up to this long before a visit
    holiday_state: str = ''  # US state whose public holidays (besides federal ones) close the schedule
    logo_url: str = ''  # '/files/<id>' of the logo an admin uploaded ('' for the Settle mark); signed-in pages only

    def day_of(self, moment: datetime | None) -> date:
        """The practice's calendar day of an instant (naive instants are UTC); today when None."""
        return practice_day(moment, zone=self.timezone)


def _first_row():  # noqa: ANN202  (a select of the first settings row)
    return select(PracticeSettings).order_by(col(PracticeSettings.id)).limit(1)


def practice(session: Session, /) -> Practice:
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
                    reply_business_days=row.reply_business_days, from_address=row.from_address or settings.mail_from,
                    cancel_cutoff_hours=row.cancel_cutoff_hours, holiday_state=row.holiday_state,
                    logo_url=row.logo_path)


def load_practice() -> Practice:
    """`practice` in its own read session (for senders and pages that hold none)."""
    with read_session() as session:
        return practice(session)


def zone_name(session: Session, /) -> str:
    """The practice's IANA time zone: the stored one, else the configured one."""
    stored = session.exec(select(PracticeSettings.timezone).order_by(col(PracticeSettings.id)).limit(1)).first()
    return stored or get_settings().practice_timezone


def practice_zone(session: Session, /) -> ZoneInfo:
    """The practice's time zone (see `zone_name`) as a tzinfo."""
    return ZoneInfo(zone_name(session))


def practice_today(session: Session, /) -> date:
    """Today on the practice's calendar (its stored zone): "this month", "overdue", effective dates."""
    return practice_day(zone=zone_name(session))


def load_practice_today() -> date:
    """`practice_today` in its own read session."""
    with read_session() as session:
        return practice_today(session)


_cache_lock = threading.Lock()
_cached: tuple[float, Practice] | None = None  # (monotonic time read, the practice then)
_refreshing = False  # a background read is under way (at most one per process)


def cached_practice() -> Practice:
    """The practice for pages and components that hold no session (the frame's name, a stored instant
    on the practice's clock), at most CACHE_SECONDS old, so an admin's change reaches every process
    within that time (each process reads the database itself; `CacheRefresher` keeps it fresh).

    On the event loop it never waits on the database once the cache is warm (`refresh_cached` at start-up):
    past CACHE_SECONDS it answers with the last value and reads the new one on a background thread. Off
    the event loop (services in worker threads), an old or empty cache is read there and then."""
    with _cache_lock:
        cached = _cached
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    if cached is not None and _on_event_loop():
        _refresh_in_background()
        return cached[1]
    if cached is None and _on_event_loop():
        log.warning('practice cache read on the event loop before it was warmed (refresh_cached at start-up)')
    return refresh_cached()


def cached_zone() -> str:
    """The practice's IANA zone as `cached_practice` has it."""
    return cached_practice().timezone


def refresh_cached() -> Practice:
    """Read the practice now and keep it as the cached one (blocking: a worker thread, or start-up)."""
    global _cached  # noqa: PLW0603
    found = load_practice()
    with _cache_lock:
        _cached = (time.monotonic(), found)
    return found


def forget_cached() -> None:
    """Drop the cached practice (in tests: each test reads its own database)."""
    global _cached  # noqa: PLW0603
    with _cache_lock:
        _cached = None


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _refresh_in_background() -> None:
    global _refreshing  # noqa: PLW0603
    with _cache_lock:
        if _refreshing:
            return
        _refreshing = True
    threading.Thread(target=_refresh_once, name='practice-cache-refresh', daemon=True).start()


def _refresh_once() -> None:
    global _refreshing  # noqa: PLW0603
    try:
        refresh_cached()
    except Exception:  # noqa: BLE001  (the last value stays; the next expiry tries again)
        log.warning('practice cache: reading the practice failed', exc_info=True)
    finally:
        with _cache_lock:
            _refreshing = False


class CacheRefresher(DaemonLoop):
    """Re-reads the practice every `every` seconds (half of CACHE_SECONDS) on a daemon thread, so pages
    on the event loop always find a fresh value. One per process: `start()` on app start-up (after
    `refresh_cached`), `stop()` on shutdown."""

    thread_name = 'practice-cache'

    def __init__(self, every: float = CACHE_SECONDS / 2) -> None:
        super().__init__()
        self.every = every

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                refresh_cached()
            except Exception:  # noqa: BLE001  (a database hiccup: the next round tries again)
                log.warning('practice cache: reading the practice failed', exc_info=True)


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
