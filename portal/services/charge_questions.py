"""Questions and disputes about a charge: a message thread linked to the statement line it is
about, which the line then shows as open. Patients open and read only threads of accounts they
may act on; anything else is NotFound."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_account
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import AccountFlag, AuthorRole, Charge, Message, MessageThread, ThreadCategory, ThreadStatus
from portal.models.accounts import FlagKind
from portal.services.messaging.read_state import mark_read_upto
from portal.services.statements import QUESTION_CATEGORIES, get_statement

MAX_BODY = 5000


@dataclass(frozen=True)
class ThreadMessage:
    author: str  # 'You' or 'Billing office'
    body: str
    at: datetime


@dataclass(frozen=True)
class ThreadView:
    id: int
    subject: str
    kind: str
    status: ThreadStatus
    statement_id: int | None
    charge_label: str
    messages: list[ThreadMessage]


def _clean_body(body: str) -> str:
    text = (body or '').strip()
    if not text:
        raise ValidationFailed('Write your question first.', field_errors={'body': 'Write your question first.'})
    if len(text) > MAX_BODY:
        raise ValidationFailed(f'Keep it under {MAX_BODY:,} characters.',
                               field_errors={'body': f'Keep it under {MAX_BODY:,} characters.'})
    return text


def ask_about_charge(session: Session, *, actor: Actor, statement_id: int, charge_id: int, body: str,
                     kind: str = ThreadCategory.billing_question) -> int:
    """Open a question (or dispute) about one line of a statement; returns the thread id. A second
    question about a line that already has an open one joins that thread."""
    if kind not in QUESTION_CATEGORIES:
        raise ValidationFailed('Choose a question or a dispute.')
    kind = ThreadCategory(kind)
    text = _clean_body(body)
    statement = get_statement(session, actor=actor, statement_id=statement_id, purpose='ask_about_charge')
    charge = session.get(Charge, charge_id)
    if charge is None or charge.account_id != statement.account_id:
        raise NotFound('We could not find that charge.')
    now = utcnow()
    thread = session.exec(select(MessageThread).where(
        MessageThread.charge_id == charge_id, MessageThread.status != ThreadStatus.resolved,
        col(MessageThread.category).in_(QUESTION_CATEGORIES))).first()
    if thread is None:
        label = 'Dispute' if kind == ThreadCategory.dispute_charge else 'Question'
        thread = MessageThread(account_id=statement.account_id, category=kind, charge_id=charge_id,
                               statement_id=statement_id, created_by_user_id=actor.user_id,
                               subject=f'{label} about {charge.code} on the {statement.statement_date:%B %Y} statement',
                               created_at=now, last_message_at=now)
        session.add(thread)
        session.flush()
        if kind == ThreadCategory.dispute_charge:
            session.add(AccountFlag(account_id=statement.account_id, kind=FlagKind.dispute,
                                    reason=f'charge {charge_id} disputed by the patient',
                                    created_by_user_id=actor.user_id))
    thread.last_message_at = now
    message = Message(thread_id=thread.id, author_user_id=actor.user_id, author_role=AuthorRole.patient, body=text,
                      created_at=now)
    session.add(message)
    session.flush()
    mark_read_upto(session, user_id=actor.user_id, thread_id=thread.id, message_id=message.id)
    audit.record(session, action='ask_about_charge', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=statement.account_id,
                 source_ip=actor.ip, detail=kind)
    return int(thread.id)


def _thread(session: Session, actor: Actor, thread_id: int, purpose: str) -> MessageThread:
    thread = session.get(MessageThread, thread_id)
    if thread is None:
        raise NotFound('We could not find that conversation.')
    try:
        require_account(session, actor, thread.account_id, purpose=purpose)
    except NotFound:
        raise NotFound('We could not find that conversation.') from None
    return thread


def read_thread(session: Session, *, actor: Actor, thread_id: int) -> ThreadView:
    """The conversation; the billing office's messages count as read by the patient from now."""
    thread = _thread(session, actor, thread_id, 'view_thread')
    messages = list(session.exec(select(Message).where(Message.thread_id == thread.id,
                                                       col(Message.internal_note).is_(False))
                                 .order_by(col(Message.created_at), col(Message.id))))
    if not actor.is_staff and messages:
        mark_read_upto(session, user_id=actor.user_id, thread_id=thread.id, message_id=messages[-1].id)
    charge = session.get(Charge, thread.charge_id) if thread.charge_id else None
    label = f'{charge.code} · {charge.description} · {_day(charge.date_of_service)}' if charge else ''
    return ThreadView(id=thread.id, subject=thread.subject, kind=thread.category, status=thread.status,
                      statement_id=thread.statement_id, charge_label=label,
                      messages=[ThreadMessage('You' if message.author_role == 'patient' else 'Billing office',
                                              message.body, message.created_at) for message in messages])


def find_thread(session: Session, *, actor: Actor, thread_id: int) -> ThreadView | None:
    """read_thread, but None instead of NotFound, so the refusal's audit event is kept."""
    try:
        return read_thread(session, actor=actor, thread_id=thread_id)
    except NotFound:
        return None


def reply(session: Session, *, actor: Actor, thread_id: int, body: str) -> None:
    text = _clean_body(body)
    thread = _thread(session, actor, thread_id, 'reply_thread')
    if thread.status == ThreadStatus.resolved:
        raise ValidationFailed('This conversation is closed. Start a new question from your statement.')
    now = utcnow()
    thread.last_message_at = now
    message = Message(thread_id=thread.id, author_user_id=actor.user_id, author_role=AuthorRole.patient, body=text,
                      created_at=now)
    session.add(message)
    session.flush()
    mark_read_upto(session, user_id=actor.user_id, thread_id=thread.id, message_id=message.id)


def _day(value: date) -> str:
    return f'{value:%B} {value.day}, {value.year}'
