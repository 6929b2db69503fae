"""Inbound texts: STOP (and its usual synonyms) stops every text to that number until the person turns
texts on again; START undoes it; HELP answers with the practice's phone. They arrive at POST /webhooks/sms
and go through `handle_inbound`.
"""
from __future__ import annotations

import logging

from sqlmodel import select

from portal import audit
from portal.clock import utcnow
from portal.db import write_session
from portal.models import NotificationPreference, User
from portal.notify.sms import normalize_phone
from portal.notify.templates import KINDS
from portal.services.practice import cached_practice

log = logging.getLogger(__name__)

STOP_WORDS = frozenset({'STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'})
START_WORDS = frozenset({'START', 'UNSTOP', 'YES', 'OPTIN'})
HELP_WORDS = frozenset({'HELP', 'INFO'})


def handle_inbound(*, from_: str, body: str) -> str:
    """Act on a text a person sent us; return the reply to send back (empty: none).

    STOP turns off every text to that number (all users who gave it) at once; START undoes it.
    """
    try:
        number = normalize_phone(from_)
    except ValueError:
        return ''
    word = (body or '').strip().split(maxsplit=1)[0].upper() if (body or '').strip() else ''
    practice = cached_practice()
    if word in STOP_WORDS:
        count = _set_stopped(number, stopped=True)
        log.info('SMS STOP received for %d user(s)', count)
        return f'{practice.name}: you will get no more texts from us. Reply START to get them again.'
    if word in START_WORDS:
        count = _set_stopped(number, stopped=False)
        log.info('SMS START received for %d user(s)', count)
        return f'{practice.name}: texts are back on. Reply STOP to opt out.' if count else ''
    if word in HELP_WORDS:
        return f'{practice.name} billing: call {practice.phone}. Reply STOP to opt out.'
    return ''


def _set_stopped(number: str, *, stopped: bool) -> int:
    """Mark (or clear) stopped_at on every text preference of the users with this number."""
    now = utcnow()
    with write_session() as session:
        user_ids = list(session.exec(select(User.id).where(User.mobile_phone == number)).all())
        for user_id in user_ids:
            existing = {row.kind: row for row in session.exec(select(NotificationPreference).where(
                NotificationPreference.user_id == user_id, NotificationPreference.channel == 'sms')).all()}
            for kind in KINDS:
                row = existing.get(kind)
                if row is None:
                    if not stopped:
                        continue  # START restores earlier choices; it does not opt anyone in
                    row = NotificationPreference(user_id=user_id, kind=kind, channel='sms', enabled=False)
                row.stopped_at = now if stopped else None
                session.add(row)
        for user_id in user_ids:
            audit.record(session, action='sms_stop' if stopped else 'sms_start', entity_type='user',
                         entity_id=user_id, actor_role='sms')
    return len(user_ids)
