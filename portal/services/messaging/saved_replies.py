"""Saved replies: texts staff pick in a thread, with placeholders filled from live figures at the moment
they are picked; admins create, edit and delete them.

Placeholders: {balance} (what the account owes), {due_date} (the next plan installment's date, else the
latest statement's due date while something is due), {plan_terms} ('$50.00 a month for 6 months, on
day 5'), {practice_name}. Any other {name} is refused when the reply is saved."""
from __future__ import annotations

import string
from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_admin, require_staff
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import SavedReply, Statement
from portal.money import format_money
from portal.services.messaging.safety import check_characters, clean_body
from portal.services.messaging.staff_common import staff_thread
from portal.services.messaging.staff_context import account_context
from portal.services.practice import practice

PLACEHOLDERS = ('balance', 'due_date', 'plan_terms', 'practice_name')
MAX_TITLE = 80


@dataclass(frozen=True)
class SavedReplyView:
    id: int
    title: str
    body: str  # with its placeholders, as saved


def saved_replies(session: Session, /, *, actor: Actor) -> tuple[SavedReplyView, ...]:
    """Every saved reply, by title. Staff only."""
    require_staff(session, actor, purpose='saved_replies')
    rows = session.exec(select(SavedReply).order_by(col(SavedReply.title), col(SavedReply.id))).all()
    return tuple(SavedReplyView(row.id, row.title, row.body) for row in rows)


def _day(value) -> str:  # noqa: ANN001
    return f'{value:%B} {value.day}, {value.year}'


def figures(session: Session, /, *, actor: Actor, thread_id: int) -> dict[str, str]:
    """The placeholders' values for this thread's account, now."""
    thread = staff_thread(session, actor, thread_id, purpose='fill_saved_reply')
    context = account_context(session, actor=actor, account_id=thread.account_id, audited=False)
    due = context.plan.next_date if context.plan is not None else None
    if due is None and context.payable_now > 0:
        due = session.exec(select(Statement.due_date).where(Statement.account_id == thread.account_id)
                           .order_by(col(Statement.statement_date).desc(), col(Statement.id).desc())).first()
    return {'balance': format_money(context.balance, context.currency),
            'due_date': _day(due) if due else 'no date yet',
            'plan_terms': context.plan.terms(context.currency) if context.plan else 'no payment plan',
            'practice_name': practice(session).name}


class _Keep(dict):
    def __missing__(self, key: str) -> str:
        return '{' + key + '}'


def fill(session: Session, /, *, actor: Actor, reply_id: int, thread_id: int) -> str:
    """The saved reply's text with this thread's live figures in place of its placeholders. Staff only;
    an unknown reply or thread is NotFound."""
    row = session.get(SavedReply, reply_id)
    values = figures(session, actor=actor, thread_id=thread_id)
    if row is None:
        raise NotFound('That saved reply was deleted.')
    return string.Formatter().vformat(row.body, (), _Keep(values))


def _checked(title: str, body: str) -> tuple[str, str]:
    check_characters(title or '', 'title', lines=False)  # before any query: PostgreSQL refuses a NUL in text
    name = ' '.join((title or '').split())
    if not name or len(name) > MAX_TITLE:
        message = f'Give it a title of at most {MAX_TITLE} characters.'
        raise ValidationFailed(message, field_errors={'title': message})
    text = clean_body(body)
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:
        used = {'{'}
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        allowed = ', '.join('{' + name + '}' for name in PLACEHOLDERS)
        message = f'Use only these placeholders: {allowed} (write {{{{ for a brace).'
        raise ValidationFailed(message, field_errors={'body': message})
    return name, text


def save(session: Session, /, *, actor: Actor, title: str, body: str, reply_id: int | None = None) -> int:
    """Create (reply_id None) or edit a saved reply; returns its id. Admins only (anyone else: NotFound);
    a title already in use or an unknown placeholder is ValidationFailed."""
    require_admin(session, actor, purpose='manage_saved_replies')
    name, text = _checked(title, body)
    row = SavedReply(title=name, body=text) if reply_id is None else session.get(SavedReply, reply_id)
    if row is None:
        raise NotFound('That saved reply was deleted.')
    taken = session.exec(select(SavedReply.id).where(SavedReply.title == name, SavedReply.id != reply_id)).first() \
        if reply_id is not None else session.exec(select(SavedReply.id).where(SavedReply.title == name)).first()
    if taken is not None:  # the unique title is the backstop for two admins at once
        message = 'Another saved reply has that title.'
        raise ValidationFailed(message, field_errors={'title': message})
    row.title, row.body, row.updated_at, row.updated_by_user_id = name, text, utcnow(), actor.user_id
    session.add(row)
    session.flush()
    audit.record(session, action='saved_reply_saved', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='saved_reply', entity_id=row.id, source_ip=actor.ip)
    return int(row.id)


def delete(session: Session, /, *, actor: Actor, reply_id: int) -> None:
    """Delete a saved reply. Admins only; an unknown id is NotFound."""
    require_admin(session, actor, purpose='manage_saved_replies')
    row = session.get(SavedReply, reply_id)
    if row is None:
        raise NotFound('That saved reply was deleted.')
    session.delete(row)
    audit.record(session, action='saved_reply_deleted', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='saved_reply', entity_id=reply_id, source_ip=actor.ip)


def manage(session: Session, /, *, actor: Actor) -> tuple[SavedReplyView, ...]:
    """The saved replies for the admins' page. Admins only (anyone else: NotFound)."""
    require_admin(session, actor, purpose='manage_saved_replies')
    return saved_replies(session, actor=actor)
