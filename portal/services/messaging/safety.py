"""What a message may contain: plain text of 1 to 5,000 characters, no control characters (NUL among them,
which PostgreSQL refuses in text) and no bidirectional overrides (text that reads differently from how it is
stored). Refusals are ValidationFailed with a message the patient can act on; nothing is stripped silently."""
from __future__ import annotations

import re
import unicodedata

from portal.errors import ValidationFailed

MAX_BODY = 5000
MAX_SUBJECT = 120
NEW_THREADS_PER_DAY = 20  # per patient, over the last 24 hours
_BIDI_CONTROLS = frozenset('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c')
_ALLOWED_CONTROLS = frozenset('\n\t')


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: message})


def check_characters(text: str, field: str, *, lines: bool) -> None:
    """Refuse (ValidationFailed on `field`) bidi controls and control characters, NUL among them (line breaks
    and tabs pass when `lines`). Every text a person types is checked with this before it reaches a query."""
    for char in text:
        if char in _BIDI_CONTROLS:
            raise _refuse(field, 'Remove the hidden text-direction characters (often pasted in with the text) '
                                 'and send it again.')
        if unicodedata.category(char) == 'Cc' and not (lines and char in _ALLOWED_CONTROLS):
            raise _refuse(field, 'Remove the hidden control characters (often pasted in with the text) '
                                 'and send it again.')


def clean_body(body: str | None) -> str:
    """The message text to store: line ends made '\\n', outer blank space trimmed. Raises ValidationFailed
    (field 'body') for empty, over 5,000 characters, control or bidi-override characters."""
    text = (body or '').replace('\r\n', '\n').replace('\r', '\n').strip()
    if not text:
        raise _refuse('body', 'Write your message first.')
    if len(text) > MAX_BODY:
        raise _refuse('body', f'Keep your message under {MAX_BODY:,} characters (it has {len(text):,}).')
    check_characters(text, 'body', lines=True)
    return text


def clean_subject(subject: str | None) -> str:
    """One line of 1 to 120 characters (field 'subject'), the same characters refused as in a body."""
    text = (subject or '').strip()
    check_characters(text, 'subject', lines=True)
    text = re.sub(r'[ \t\n]+', ' ', text)
    if not text:
        raise _refuse('subject', 'Give your message a subject.')
    if len(text) > MAX_SUBJECT:
        raise _refuse('subject', f'Keep the subject under {MAX_SUBJECT} characters.')
    return text


def clean_key(key: str | None) -> str | None:
    """An idempotency key as sent by a page (a UUID); None when absent. A malformed one is refused."""
    if key is None or key == '':
        return None
    if len(key) > 64 or not all(char.isalnum() or char in '-_' for char in key):
        raise ValidationFailed('This form is out of date. Reload the page and send it again.')
    return key
