"""Admins edit the practice's settings: one table of fields (`FIELDS`), each with its label, its
parser (text from the form -> the stored value, or a message saying what to fix) and its help text, so a
new setting is one line here plus its column. `update_practice_settings` checks every field, refuses the
lot when any is wrong, audits each change (old -> new), and drops this process's practice cache (other
processes re-read it within 30 s; the scheduler leader follows a new time zone within a minute, or at
once when the change is made on its own process, see pages/staff/admin_settings.py).

The logo goes through the file service (`set_practice_logo`): a picture only (JPEG, PNG, HEIC), judged by its
content as the file service judges it.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import holidays
from sqlalchemy import delete
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_admin
from portal.clock import utcnow
from portal.config import get_settings
from portal.db import write_session
from portal.errors import ValidationFailed
from portal.models import PracticeSettings, StoredFile
from portal.money import AmountError, amount_text, parse_amount
from portal.services import files, practice
from portal.services.file_content import FileRefused, prepare

LOGO_OWNER = 'practice_logo'
FIX = 'Please fix the settings marked below.'


class Invalid(ValueError):
    """A value the admin must fix; the message says how."""


Parse = Callable[[Any], Any]


def text(max_length: int, *, required: bool = False, pattern: str = '', hint: str = '') -> Parse:
    def parse(value: Any) -> str:  # noqa: ANN401
        cleaned = ' '.join(str(value or '').split())
        if required and not cleaned:
            raise Invalid('This cannot be empty.')
        if len(cleaned) > max_length:
            raise Invalid(f'Use at most {max_length} characters.')
        if cleaned and pattern and not re.fullmatch(pattern, cleaned):
            raise Invalid(hint)
        return cleaned
    return parse


def whole(low: int, high: int) -> Parse:
    def parse(value: Any) -> int:  # noqa: ANN401
        cleaned = str(value if value is not None else '').strip()
        if not re.fullmatch(r'\d{1,4}', cleaned) or not low <= int(cleaned) <= high:
            raise Invalid(f'Enter a whole number from {low} to {high}.')
        return int(cleaned)
    return parse


def switch(value: Any) -> bool:  # noqa: ANN401
    if isinstance(value, bool):
        return value
    raise Invalid('Choose on or off.')


@cache
def time_zones() -> list[str]:
    """Every IANA time zone name, sorted (the settings form's choices)."""
    return sorted(available_timezones())


def zone(value: Any) -> str:  # noqa: ANN401
    cleaned = str(value or '').strip()
    if cleaned not in time_zones():
        raise Invalid('Choose a time zone such as America/Chicago.')
    return cleaned


def phone(value: Any) -> str:  # noqa: ANN401
    cleaned = ' '.join(str(value or '').split())
    digits = re.sub(r'\D', '', cleaned)
    if cleaned and (not re.fullmatch(r'[0-9()+.\- ]{10,32}', cleaned) or not 10 <= len(digits) <= 15):
        raise Invalid('Enter a phone number with its area code, such as (555) 010-0100.')
    return cleaned


def npi(value: Any) -> str:  # noqa: ANN401
    """A 10-digit NPI whose last digit is its Luhn check digit (with the 80840 prefix), or empty."""
    cleaned = str(value or '').strip()
    if not cleaned:
        return ''
    if not re.fullmatch(r'\d{10}', cleaned):
        raise Invalid('An NPI has 10 digits.')
    total = 24  # the 80840 prefix's share of the Luhn sum
    for index, digit in enumerate(reversed(cleaned[:9])):
        doubled = int(digit) * (2 if index % 2 == 0 else 1)
        total += doubled - 9 if doubled > 9 else doubled
    if (10 - total % 10) % 10 != int(cleaned[9]):
        raise Invalid('This NPI does not check out: look for a mistyped digit.')
    return cleaned


def ladder(value: Any) -> str:  # noqa: ANN401
    """Days past due of each overdue reminder, such as '30,60,90': 1 to 6 rising steps of 1 to 365 days."""
    parts = [part.strip() for part in str(value or '').split(',')]
    if not parts or not all(re.fullmatch(r'\d{1,3}', part) for part in parts):
        raise Invalid('Enter days past due separated by commas, such as 30,60,90.')
    steps = [int(part) for part in parts]
    if len(steps) > 6 or not all(1 <= step <= 365 for step in steps) or steps != sorted(set(steps)):
        raise Invalid('Use 1 to 6 rising steps from 1 to 365 days, such as 30,60,90.')
    return ','.join(str(step) for step in steps)


def holiday_state(value: Any) -> str:  # noqa: ANN401
    """A US state or territory code the `holidays` package knows (its public holidays close the schedule), or
    empty for federal holidays only."""
    cleaned = str(value or '').strip().upper()
    if cleaned and cleaned not in holidays.US.subdivisions:
        raise Invalid('Use a US state code such as IL, or leave it empty for federal holidays only.')
    return cleaned


def money_limit(value: Any) -> int:  # noqa: ANN401
    """An amount in dollars and cents, read by the one amount parser, stored in minor units."""
    try:
        return parse_amount(str(value or ''), verb='set')
    except AmountError as problem:
        raise Invalid(str(problem)) from None


@dataclass(frozen=True)
class SettingField:
    name: str  # the PracticeSettings column
    label: str
    parse: Parse
    kind: str = 'text'  # how the form draws it: text, number, switch, zone
    help: str = ''
    show: Callable[[Any], Any] | None = None  # the stored value as the form shows it (parse reads it back)


FIELDS: tuple[SettingField, ...] = (
    SettingField('name', 'Practice name', text(120, required=True)),
    SettingField('address_line1', 'Street address', text(120)),
    SettingField('city', 'City', text(80)),
    SettingField('state', 'State', text(2, pattern=r'[A-Z]{2}', hint='Use the two capital letters, such as IL.')),
    SettingField('postal_code', 'ZIP code', text(10, pattern=r'\d{5}(-\d{4})?', hint='Use 5 digits or 5+4.')),
    SettingField('phone', 'Phone', phone),
    SettingField('tax_id', 'Tax id (EIN)', text(10, pattern=r'\d{2}-\d{7}', hint='Write the EIN as 12-3456789.'),
                 help='Printed on receipts for HSA and FSA claims.'),
    SettingField('npi', 'Group NPI', npi),
    SettingField('timezone', 'Time zone', zone, 'zone', 'Dates, reminders and the daily jobs follow it.'),
    SettingField('statement_cadence_days', 'Days between statements', whole(28, 92), 'number',
                 'At least 28: one statement per account per month.'),
    SettingField('statement_due_days', 'Days until a statement is due', whole(1, 90), 'number'),
    SettingField('reminder_ladder', 'Overdue reminders (days past due)', ladder, help='Such as 30,60,90.'),
    SettingField('quiet_hours_start', 'No texts from (hour, 0-23)', whole(0, 23), 'number'),
    SettingField('quiet_hours_end', 'No texts until (hour, 0-23)', whole(0, 23), 'number'),
    SettingField('hold_pending_insurance', "Don't ask for charges still with insurance", switch, 'switch'),
    SettingField('reply_business_days', 'Reply to messages within (business days)', whole(1, 10), 'number'),
    SettingField('cancel_cutoff_hours', 'Patients change visits online up to (hours before)', whole(0, 168), 'number',
                 'Inside this time they send a change request instead.'),
    SettingField('holiday_state', 'Holidays of state', holiday_state,
                 help="The schedule closes on federal holidays and this state's (such as IL)."),
    SettingField('adjustment_approval_limit', 'Adjustments above this wait for a second admin ($)', money_limit,
                 help='Write-offs and adjustments over this amount go to the approval queue.', show=amount_text),
)
BY_NAME = {field.name: field for field in FIELDS}


def _cross_checks(values: dict[str, Any]) -> dict[str, str]:
    """Rules between fields: quiet hours run overnight (start in the evening, end in the morning)."""
    if values['quiet_hours_start'] <= values['quiet_hours_end']:
        return {'quiet_hours_end': 'Quiet hours run overnight: they must end earlier in the day than they start '
                                   '(such as 21 to 8).'}
    return {}


@dataclass(frozen=True)
class PracticeSettingsView:
    values: dict[str, Any]  # field name -> stored value
    logo_url: str  # '' without a logo
    payments_mode: str  # demo or stripe (from the environment; not editable here)
    updated_at: datetime | None


def _row(session: Session) -> PracticeSettings:
    row = session.exec(select(PracticeSettings).order_by(col(PracticeSettings.id)).limit(1)).first()
    if row is None:
        settings = get_settings()
        row = PracticeSettings(name=settings.practice_name, timezone=settings.practice_timezone)
        session.add(row)
        session.flush()
    return row


def _view(row: PracticeSettings) -> PracticeSettingsView:
    return PracticeSettingsView(values={field.name: field.show(getattr(row, field.name)) if field.show
                                        else getattr(row, field.name) for field in FIELDS},
                                logo_url=row.logo_path, payments_mode=get_settings().payments_mode,
                                updated_at=row.updated_at)


def practice_settings(session: Session, /, *, actor: Actor) -> PracticeSettingsView:
    require_admin(session, actor)
    row = session.exec(select(PracticeSettings).order_by(col(PracticeSettings.id)).limit(1)).first()
    return _view(row or PracticeSettings(name=get_settings().practice_name))


def update_practice_settings(*, actor: Actor, values: dict[str, Any]) -> tuple[str, ...]:
    """Check and store the settings; returns the names of the fields that changed. ValidationFailed
    (nothing stored) names each field to fix. Fields not in `values` stay as they are."""
    unknown = set(values) - set(BY_NAME)
    if unknown:
        raise ValueError(f'not practice settings: {sorted(unknown)}')
    with write_session() as session:
        require_admin(session, actor)
        row = _row(session)
        parsed: dict[str, Any] = {field.name: getattr(row, field.name) for field in FIELDS}
        errors: dict[str, str] = {}
        for name, raw in values.items():
            try:
                parsed[name] = BY_NAME[name].parse(raw)
            except Invalid as problem:
                errors[name] = str(problem)
        if not errors:
            errors = _cross_checks(parsed)
        if errors:
            raise ValidationFailed(FIX, field_errors=errors)
        changed = tuple(field.name for field in FIELDS if parsed[field.name] != getattr(row, field.name))
        for name in changed:
            old = getattr(row, name)
            setattr(row, name, parsed[name])
            audit.record(session, action='practice_setting_changed', actor_user_id=actor.user_id,
                         actor_role=actor.role, entity_type='practice_settings', entity_id=name,
                         source_ip=actor.ip, detail=f'{name}: {old} -> {parsed[name]}')
        if changed:
            row.updated_at, row.updated_by_user_id = utcnow(), actor.user_id
            session.add(row)
    practice.forget_cached()
    practice.refresh_cached()
    return changed


def set_practice_logo(*, actor: Actor, name: str, data: bytes) -> str:
    """Store a new logo (a JPEG, PNG or HEIC picture) and return its address ('/files/...')."""
    try:
        kind = prepare(name, data).content_type  # by content, as the file service stores it (cached for store)
    except FileRefused as refused:
        raise ValidationFailed(refused.message, field_errors={'logo': refused.message}) from None
    if not kind.startswith('image/'):
        message = 'The logo must be a picture: a JPEG, PNG or HEIC file.'
        raise ValidationFailed(message, field_errors={'logo': message})
    with write_session() as session:
        require_admin(session, actor)
        row = _row(session)
        # one logo at a time: the old one's row goes (the housekeeping sweep removes its bytes)
        session.execute(delete(StoredFile).where(col(StoredFile.owner_kind) == LOGO_OWNER))
        stored = files.store(session, owner_kind=LOGO_OWNER, owner_id=row.id, name=name, data=data,
                             uploaded_by=actor.user_id)
        old, row.logo_path = row.logo_path, stored.url
        row.updated_at, row.updated_by_user_id = utcnow(), actor.user_id
        session.add(row)
        audit.record(session, action='practice_setting_changed', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='practice_settings', entity_id='logo', source_ip=actor.ip,
                     detail=f'logo: {old or "none"} -> {stored.url}')
    practice.forget_cached()
    practice.refresh_cached()
    return stored.url


# the logo is the practice's public face: anyone signed in may see it
files.register_access(LOGO_OWNER, lambda _session, _actor, _owner_id: True)
