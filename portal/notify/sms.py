"""Text messages: the provider interface, the providers we ship, phone numbers, and inbound STOP.

`PORTAL_SMS_PROVIDER` chooses the provider: `off` (the default: no texts are queued or sent),
`test` (records texts in memory; refused in production), or `package.module:factory`, a callable
returning an object with the `SmsProvider` shape (a Twilio or other adapter lives outside this
repository). Inbound texts arrive at POST /webhooks/sms and go through `handle_inbound`: STOP (and
its usual synonyms) stops every text to that number until the person turns texts on again.
"""
from __future__ import annotations

import importlib
import logging
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import select

from portal.clock import utcnow
from portal.config import get_settings
from portal.db import write_session
from portal.models import NotificationPreference, User
from portal.notify.templates import KINDS

log = logging.getLogger(__name__)

STOP_WORDS = frozenset({'STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'})
START_WORDS = frozenset({'START', 'UNSTOP', 'YES', 'OPTIN'})
HELP_WORDS = frozenset({'HELP', 'INFO'})


class SmsError(Exception):
    """A text was not sent. `permanent` ones are not retried (a number that cannot take texts)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsProvider(Protocol):
    name: str
    enabled: bool

    def send(self, *, to: str, body: str, reference: str) -> str:
        """Send one text to an E.164 number; return the provider's message id. `reference` is ours
        (one per outbox row), for providers that deduplicate; raise SmsError on failure."""
        ...


class DisabledSms:
    """The default: texting is off, nothing is queued, and a send is a programming error."""
    name = 'off'
    enabled = False

    def send(self, *, to: str, body: str, reference: str) -> str:
        raise SmsError('texting is off (PORTAL_SMS_PROVIDER=off)', permanent=True)


@dataclass(frozen=True)
class RecordedText:
    to: str
    body: str
    reference: str


class RecordingSms:
    """For tests and demos outside production: keeps every text in memory instead of sending it."""
    name = 'test'
    enabled = True

    def __init__(self) -> None:
        self.sent: list[RecordedText] = []
        self._lock = threading.Lock()

    def send(self, *, to: str, body: str, reference: str) -> str:
        with self._lock:
            self.sent.append(RecordedText(to=to, body=body, reference=reference))
            return f'test-{len(self.sent)}'


_recording = RecordingSms()
_custom: dict[str, SmsProvider] = {}


def get_provider() -> SmsProvider:
    choice = (get_settings().sms_provider or 'off').strip()
    if choice in {'', 'off'}:
        return DisabledSms()
    if choice == 'test':
        return _recording
    if choice not in _custom:
        module_name, _, factory = choice.partition(':')
        _custom[choice] = getattr(importlib.import_module(module_name), factory or 'provider')()
    return _custom[choice]


def texting_enabled() -> bool:
    return get_provider().enabled


def recording_provider() -> RecordingSms:
    """The `test` provider's instance (what tests read)."""
    return _recording


_NON_DIGITS = re.compile(r'[\s().\-]')


def normalize_phone(text: str) -> str:
    """A mobile number in E.164 form; ValueError with a readable message otherwise.

    Ten digits (or 1 + ten digits) are a US number; anything else needs a leading + and a country code.
    """
    raw = _NON_DIGITS.sub('', (text or '').strip())
    if raw.startswith('+'):
        digits = raw[1:]
        if digits.isdigit() and 8 <= len(digits) <= 15 and not digits.startswith('0'):
            return '+' + digits
    elif raw.isdigit():
        if len(raw) == 10 and raw[0] not in '01':
            return '+1' + raw
        if len(raw) == 11 and raw.startswith('1') and raw[1] not in '01':
            return '+' + raw
    raise ValueError('Enter a mobile number such as (555) 201-3344, or +44 7700 900123 outside the US.')


def masked_phone(number: str) -> str:
    return f'•••{number[-4:]}' if len(number) >= 4 else '•••'


def handle_inbound(from_: str, body: str) -> str:
    """Act on a text a person sent us; return the reply to send back (empty: none).

    STOP turns off every text to that number (all users who gave it) at once; START undoes it.
    """
    try:
        number = normalize_phone(from_)
    except ValueError:
        return ''
    word = (body or '').strip().split(maxsplit=1)[0].upper() if (body or '').strip() else ''
    practice = get_settings().practice_name
    if word in STOP_WORDS:
        count = _set_stopped(number, stopped=True)
        log.info('SMS STOP received for %d user(s)', count)
        return f'{practice}: you will get no more texts from us. Reply START to get them again.'
    if word in START_WORDS:
        count = _set_stopped(number, stopped=False)
        log.info('SMS START received for %d user(s)', count)
        return f'{practice}: texts are back on. Reply STOP to opt out.' if count else ''
    if word in HELP_WORDS:
        return f'{practice} billing: call {get_settings().practice_phone}. Reply STOP to opt out.'
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
        from portal import audit
        for user_id in user_ids:
            audit.record(session, action='sms_stop' if stopped else 'sms_start', entity_type='user',
                         entity_id=user_id, actor_role='sms')
    return len(user_ids)
