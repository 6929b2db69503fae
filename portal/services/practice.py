"""The practice's facts as documents print them: name, postal address, phone, tax id (EIN), NPI and
time zone, from `PracticeSettings` (seeded from the environment on first start), or from the
environment alone while the database has no settings row; and whether charges still with insurance are
held out of what is due (payable.py reads the same setting in its one query)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.clock import practice_day
from portal.config import get_settings
from portal.models import PracticeSettings


@dataclass(frozen=True)
class Practice:
    name: str
    phone: str
    address: str  # one line: '1200 S Main St, Springfield, IL 62704' ('' when unknown)
    address_lines: tuple[str, ...] = ()  # as on an envelope: street, then 'City, ST 12345'
    tax_id: str = ''
    npi: str = ''
    timezone: str = 'America/Chicago'
    hold_pending_insurance: bool = True  # charges whose claim is pending are not asked for (payable.py)
    reply_business_days: int = 2  # the billing office answers a patient's message within this many business days

    def day_of(self, moment: datetime | None) -> date:
        """The practice's calendar day of an instant (naive instants are UTC); today when None."""
        return practice_day(moment, zone=self.timezone)


def practice(session: Session) -> Practice:
    """The practice as stored (the first settings row), falling back to the environment per field."""
    settings = get_settings()
    row = session.exec(select(PracticeSettings).order_by(col(PracticeSettings.id))).first()
    if row is None:
        return Practice(settings.practice_name, settings.practice_phone, '', (), settings.practice_tax_id,
                        settings.practice_npi, settings.practice_timezone)
    city_line = ', '.join(part for part in (row.city, f'{row.state} {row.postal_code}'.strip()) if part)
    lines = tuple(part for part in (row.address_line1, city_line) if part)
    return Practice(row.name or settings.practice_name, row.phone or settings.practice_phone, ', '.join(lines),
                    lines, row.tax_id or settings.practice_tax_id, row.npi or settings.practice_npi,
                    row.timezone or settings.practice_timezone, row.hold_pending_insurance, row.reply_business_days)


def practice_zone(session: Session) -> ZoneInfo:
    """The practice's time zone: the stored one, else the configured one."""
    return ZoneInfo(practice(session).timezone)
