"""Staff notes on an account (staff-only, timestamped, by whom) and the flags and holds staff put on it
(statement hold, collections hold, billing dispute, financial assistance pending) with a reason and an
optional expiry. Clearing a flag is services/account_flags.resolve_flags."""
from __future__ import annotations

from datetime import date

from sqlmodel import Session

from portal import audit
from portal.auth.permissions import Actor, require_account, require_staff
from portal.errors import ValidationFailed
from portal.models import AccountFlag, FlagKind
from portal.models.desk import AccountNote
from portal.services.practice import practice_today

STAFF_FLAGS = (FlagKind.statement_hold, FlagKind.collections_hold, FlagKind.dispute, FlagKind.financial_assistance)
NOTE_MAX = 2000
REASON_MAX = 200


def add_note(session: Session, /, *, actor: Actor, account_id: int, body: str) -> int:
    require_staff(session, actor, purpose='account_note')
    require_account(session, actor, account_id, purpose='account_note')
    text = (body or '').strip()
    if not text:
        raise ValidationFailed('Write the note first.', field_errors={'body': 'Write the note first.'})
    if len(text) > NOTE_MAX:
        message = f'A note holds at most {NOTE_MAX:,} characters.'
        raise ValidationFailed(message, field_errors={'body': message})
    note = AccountNote(account_id=account_id, body=text, created_by_user_id=actor.user_id)
    session.add(note)
    session.flush()
    audit.record(session, action='account_note_added', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='account_note', entity_id=note.id, account_id=account_id, source_ip=actor.ip)
    return note.id


def raise_flag(session: Session, /, *, actor: Actor, account_id: int, kind: str, reason: str,
               expires_on: date | None = None) -> int:
    require_staff(session, actor, purpose='raise_flag')
    require_account(session, actor, account_id, purpose='raise_flag')
    errors = {}
    if kind not in {str(k) for k in STAFF_FLAGS}:
        errors['kind'] = 'Choose what to put on the account.'
    text = (reason or '').strip()
    if not text:
        errors['reason'] = 'Say why (no health details).'
    elif len(text) > REASON_MAX:
        errors['reason'] = f'Use at most {REASON_MAX} characters.'
    if expires_on is not None and expires_on <= practice_today(session):
        errors['expires_on'] = 'Choose a day after today, or none.'
    if errors:
        raise ValidationFailed(next(iter(errors.values())), field_errors=errors)
    flag = AccountFlag(account_id=account_id, kind=FlagKind(kind), reason=text, expires_on=expires_on,
                       created_by_user_id=actor.user_id)
    session.add(flag)
    session.flush()
    audit.record(session, action='flag_raised', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='account_flag', entity_id=flag.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'kind={kind}')
    return flag.id
