"""The day the billing office promises to answer by: N business days after a patient writes (N is the
practice's `reply_business_days`, default 2), skipping weekends and US federal holidays (as observed)."""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from portal.clock import add_business_days, is_business_day
from portal.services.practice import practice

__all__ = ['add_business_days', 'expected_reply_by', 'is_business_day']


def expected_reply_by(session: Session, /, *, sent_at: datetime) -> date:
    """When the office owes an answer to a patient message sent at `sent_at` (UTC): counted from the
    practice's calendar day of the message."""
    place = practice(session)
    return add_business_days(place.day_of(sent_at), place.reply_business_days)
