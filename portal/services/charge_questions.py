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
from portal.models import AccountFlag, Charge, Message, MessageThread, ThreadKind, ThreadStatus
from portal.models.accounts import FlagKind
from portal.services.statements import QUESTION_KINDS, get_statement

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
                     kind: str = ThreadKind.charge_question) -> int:
    """Open a question (or dispute) about one line of a statement; returns the thread id. A second
    question about a line that already has an open one joins that thread."""
    if kind not in QUESTION_KINDS:
        raise ValidationFailed('Choose a question or a dispute.')
    kind = ThreadKind(kind)
    text = _clean_body(body)
    statement = get_statement(session, actor=actor, statement_id=statement_id, purpose='ask_about_charge')
    charge = session.get(Charge, charge_id)
    if charge is None or charge.account_id != statement.account_id:
        raise NotFound('We could not find that charge.')
    now = utcnow()
    thread = session.exec(select(MessageThread).where(
        MessageThread.charge_id == charge_id, MessageThread.status == ThreadStatus.open,
        col(MessageThread.kind).in_(QUESTION_KINDS))).first()
    if thread is None:
        label = 'Dispute' if kind == ThreadKind.dispute else 'Question'
        thread = MessageThread(account_id=statement.account_id, kind=kind, charge_id=charge_id,
                               statement_id=statement_id, created_by_user_id=actor.user_id,
                               subject=f'{label} about {charge.code} on the {statement.statement_date:%B %Y} statement',
                               created_at=now, last_message_at=now)
        session.add(thread)
        session.flush()
        if kind == ThreadKind.dispute:
            session.add(AccountFlag(account_id=statement.account_id, kind=FlagKind.dispute,
                                    reason=f'charge {charge_id} disputed by the patient',
                                    created_by_user_id=actor.user_id))
    thread.last_message_at = now
    session.add(Message(thread_id=thread.id, author_user_id=actor.user_id, author_role='patient', body=text,
                        created_at=now, read_by_patient_at=now))
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
    messages = list(session.exec(select(Message).where(Message.thread_id == thread.id)
                                 .order_by(col(Message.created_at), col(Message.id))))
    now = utcnow()
    for message in messages:
        if message.author_role != 'patient' and message.read_by_patient_at is None and not actor.is_staff:
            message.read_by_patient_at = now
    charge = session.get(Charge, thread.charge_id) if thread.charge_id else None
    label = f'{charge.code} · {charge.description} · {_day(charge.date_of_service)}' if charge else ''
    return ThreadView(id=thread.id, subject=thread.subject, kind=thread.kind, status=thread.status,
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
    if thread.status != ThreadStatus.open:
        raise ValidationFailed('This conversation is closed. Start a new question from your statement.')
    now = utcnow()
    thread.last_message_at = now
    session.add(Message(thread_id=thread.id, author_user_id=actor.user_id, author_role='patient', body=text,
                        created_at=now, read_by_patient_at=now))


def _day(value: date) -> str:
    return f'{value:%B} {value.day}, {value.year}'
