"""Text messages: the provider interface, the providers we ship, and phone numbers.

`PORTAL_SMS_PROVIDER` chooses the provider: `off` (the default: no texts are queued or sent),
`test` (records texts in memory; refused in production), or `package.module:factory`, a callable
returning an object with the `SmsProvider` shape (a Twilio or other adapter lives outside this
repository). Inbound texts (STOP, START, HELP) are answered by `portal.services.sms_replies`.
"""
from __future__ import annotations

import importlib
import logging
import re
import threading
from dataclasses import dataclass
from typing import Protocol

from portal.config import get_settings

log = logging.getLogger(__name__)



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
