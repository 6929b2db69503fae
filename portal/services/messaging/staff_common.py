"""What the staff side of messaging shares: loading a thread for staff, checking a body, recording a
message, moving staff's read state, and announcing a change (`live.publish` on the thread, the account's
inbox and the staff queue). Rules both sides share live in the patient side's modules; this module is the
one place the staff modules reach them."""
from __future__ import annotations

import unicodedata

from sqlmodel import Session, select

from portal import live
from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import Message, MessageThread, User
from portal.models.messaging import AuthorRole
from portal.services.messaging import read_state

MAX_BODY = 5000
# bidi overrides and isolates (Trojan Source) and every control character but newline and tab
_BIDI = frozenset('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')


def staff_thread(session: Session, actor: Actor, thread_id: int, *, purpose: str) -> MessageThread:
    """The thread, for staff only; NotFound for anyone else (audited) or an unknown id."""
    require_staff(session, actor, purpose=purpose)
    thread = session.get(MessageThread, thread_id)
    if thread is None:
        raise NotFound('We could not find that conversation.')
    return thread


def clean_body(body: str | None, *, what: str = 'message') -> str:
    """The body as stored: stripped, not empty, at most MAX_BODY characters, without NUL, control or
    bidi-override characters. Raises ValidationFailed (field 'body') with a message staff can read."""
    text = (body or '').replace('\r\n', '\n').strip()
    problem = ''
    if not text:
        problem = f'Write the {what} first.'
    elif len(text) > MAX_BODY:
        problem = f'Keep it under {MAX_BODY:,} characters (this one has {len(text):,}).'
    elif any(ch in _BIDI or (unicodedata.category(ch) == 'Cc' and ch not in '\n\t') for ch in text):
        problem = 'Remove the invisible control characters (they were probably pasted in).'
    if problem:
        raise ValidationFailed(problem, field_errors={'body': problem})
    return text


def existing_send(session: Session, idempotency_key: str | None, thread_id: int) -> Message | None:
    """The message an earlier submit with this key posted (a double click, a retry), if any."""
    if not idempotency_key:
        return None
    message = session.exec(select(Message).where(Message.idempotency_key == idempotency_key)).first()
    if message is not None and message.thread_id != thread_id:
        raise ValidationFailed('Reload the page and send it again.')
    return message


def add_message(session: Session, actor: Actor, thread: MessageThread, body: str, *, internal_note: bool,
                idempotency_key: str | None) -> Message:
    """A staff message (or internal note) on the thread, read by its author."""
    now = utcnow()
    message = Message(thread_id=thread.id, author_user_id=actor.user_id, author_role=AuthorRole.staff, body=body,
                      internal_note=internal_note, idempotency_key=(idempotency_key or None), created_at=now)
    session.add(message)
    thread.last_message_at = now
    session.flush()
    mark_read(session, actor.user_id, thread.id, message.id)
    return message


def mark_read(session: Session, user_id: int, thread_id: int, upto_message_id: int) -> None:
    """Staff's per-recipient read state: everything up to this message is read by this user."""
    read_state.mark_read_upto(session, user_id=user_id, thread_id=thread_id, message_id=upto_message_id)


def changed(session: Session, thread: MessageThread, *, also_account: int | None = None) -> None:
    """Tell open pages: the thread, its account's inbox (and a former account's), the staff queue."""
    live.publish(session, f'thread:{thread.id}')
    live.publish(session, f'inbox:{thread.account_id}')
    if also_account is not None and also_account != thread.account_id:
        live.publish(session, f'inbox:{also_account}')
    live.publish(session, 'staff-queue')


def staff_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return f'{user.first_name} {user.last_name}'.strip() if user is not None else ''


def notify_patient(session: Session, thread: MessageThread) -> None:
    """The patient's contentless "new message" email (the patient side's rule: at most once per thread an
    hour)."""
    # wired to the patient side's notify_patient_of_reply when its services are merged


def set_expected_reply(session: Session, thread: MessageThread) -> None:
    """The office's promised reply day for a thread that is open again (the patient side's rule)."""
    # wired to the patient side's reply_dates when its services are merged
