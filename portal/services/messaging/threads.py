"""The rules every message follows, whoever sends it (patient pages here, the staff queue in staff_*.py):
access to a thread, one post per idempotency key, what a message does to the thread's status and expected
reply date, the author's read mark, and the live topics published on every change.

Topics (portal.live): `thread:{id}`, `inbox:{account_id}`, `staff-queue`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal import live
from portal.auth.permissions import Actor, require_account, require_staff
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import AuthorRole, Message, MessageThread, ThreadStatus, User
from portal.services.files import StoredFileView
from portal.services.messaging import attachments, read_state
from portal.services.messaging.attachments import Upload
from portal.services.messaging.reply_dates import expected_reply_by

GONE = 'We could not find that conversation.'


def thread_for(session: Session, actor: Actor, thread_id: int, *, purpose: str) -> MessageThread:
    """The thread, when the actor may act on its account; else NotFound (another account's thread is a
    `Refused`, audited once by `require_account`)."""
    thread = session.get(MessageThread, thread_id) if 0 < thread_id < 2**31 else None
    if thread is None:
        raise NotFound(GONE)
    require_account(session, actor, thread.account_id, purpose=purpose)
    return thread


def publish(session: Session, thread: MessageThread, *, account_ids: tuple[int, ...] = ()) -> None:
    """Tell watchers the thread changed: its page, its account's inbox (and any other account's, after a
    move), and the staff queue. Delivered after commit."""
    live.publish(session, f'thread:{thread.id}')
    for account_id in dict.fromkeys((thread.account_id, *account_ids)):
        live.publish(session, f'inbox:{account_id}')
    live.publish(session, 'staff-queue')


def set_status(session: Session, thread: MessageThread, status: ThreadStatus, *, now: datetime | None = None) -> None:
    """Move the thread to `status`; the expected reply date exists only while the office owes a reply
    (kept when it already did, so a second patient message never pushes the promise out)."""
    if status == ThreadStatus.open:
        if thread.status != ThreadStatus.open or thread.expected_reply_by is None:
            thread.expected_reply_by = expected_reply_by(session, sent_at=now or utcnow())
    else:
        thread.expected_reply_by = None
    thread.status = status
    session.add(thread)


def _replayed(session: Session, key: str | None, *, actor: Actor, thread_id: int | None) -> Message | None:
    """The message already posted under this key by this actor (in this thread, when given); a key used
    for something else is refused (a stale form)."""
    if key is None:
        return None
    message = session.exec(select(Message).where(Message.idempotency_key == key)).first()
    if message is None:
        return None
    if message.author_user_id != actor.user_id or (thread_id is not None and message.thread_id != thread_id):
        raise ValidationFailed('This form is out of date. Reload the page and send it again.')
    return message


def existing_post(session: Session, key: str | None, *, actor: Actor, thread_id: int | None = None
                  ) -> Message | None:
    """Public form of the replay check, for use-cases that must look before they create a thread."""
    return _replayed(session, key, actor=actor, thread_id=thread_id)


def post(session: Session, thread: MessageThread, *, actor: Actor, body: str, key: str | None,
         internal_note: bool = False, first: bool = False, files: Sequence[Upload] = ()) -> tuple[Message, bool]:
    """Add a checked message to a thread the actor may act on; returns (message, True) or, for a key
    already posted (a double click, a retry after a timeout), (that message, False) and nothing changes.

    A patient's message makes the thread open (the office owes a reply by the expected date); the
    office's reply makes it waiting_on_patient; an internal note changes no status and staff only see it.
    The author has read the thread up to their own message. `first`: the thread was just made for this
    message, so a concurrent send under the same key may have landed in the winner's own new thread.
    `files` [(name, bytes)], already checked (`attachments.check`), are stored with a new message only."""
    if internal_note:  # staff only: anyone else is refused (a 404) and audited once by the guard
        require_staff(session, actor, purpose='internal_note')
    earlier = _replayed(session, key, actor=actor, thread_id=None if first else thread.id)
    if earlier is not None:
        return earlier, False
    now = utcnow()
    message = Message(thread_id=thread.id, author_user_id=actor.user_id,
                      author_role=AuthorRole.staff if actor.is_staff else AuthorRole.patient, body=body,
                      internal_note=internal_note, idempotency_key=key, created_at=now)
    try:
        with session.begin_nested():  # a concurrent send under the same key loses here, cleanly
            session.add(message)
            session.flush()
    except IntegrityError:
        earlier = _replayed(session, key, actor=actor, thread_id=None if first else thread.id)
        if earlier is None:
            raise
        return earlier, False
    attachments.store(session, int(message.id), files, uploaded_by=actor.user_id)
    if not internal_note:
        thread.last_message_at = now
        set_status(session, thread, ThreadStatus.waiting_on_patient if actor.is_staff else ThreadStatus.open, now=now)
    session.add(thread)
    read_state.mark_read_upto(session, user_id=actor.user_id, thread_id=thread.id, message_id=int(message.id))
    publish(session, thread)
    return message, True


@dataclass(frozen=True)
class MessageView:
    id: int
    author: str  # 'You', 'Billing office', or another household member's first name
    mine: bool
    from_office: bool
    internal_note: bool  # staff views only; never in a patient's view
    body: str  # plain text: pages show it as text, never as HTML
    at: datetime  # UTC
    files: tuple[StoredFileView, ...] = ()  # its attachments, in upload order


def message_views(session: Session, thread_id: int, *, actor: Actor) -> list[MessageView]:
    """The thread's messages, oldest first, as this actor may see them (patients: no internal notes)."""
    query = select(Message, User.first_name).join(User, col(User.id) == Message.author_user_id, isouter=True) \
        .where(Message.thread_id == thread_id).order_by(col(Message.id))
    if not actor.is_staff:
        query = query.where(col(Message.internal_note).is_(False))
    rows = session.exec(query).all()
    stored = attachments.of_messages(session, [int(message.id) for message, _name in rows])
    views = []
    for message, first_name in rows:
        mine = message.author_user_id == actor.user_id
        office = message.author_role == AuthorRole.staff
        author = 'You' if mine else 'Billing office' if office and not actor.is_staff else (first_name or 'Patient')
        views.append(MessageView(int(message.id), author, mine, office, message.internal_note, message.body,
                                 message.created_at, stored.get(int(message.id), ())))
    return views


def promised(thread: MessageThread) -> date | None:
    """The expected reply date to show: only while the office owes the reply."""
    return thread.expected_reply_by if thread.status == ThreadStatus.open else None
