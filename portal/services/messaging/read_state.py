"""Who has read how far: the one source of every unread figure (the nav badge, the home card, each inbox
row, the staff queue). Nothing is counted and stored; every figure is this query over `thread_read`.

A message is unread for a user when its id is above their `last_read_message_id` for its thread (no row:
0), someone else wrote it, and it is visible to them (internal notes are visible to staff only).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.db import savepoint_for_statement
from portal.models import AccountAccess, Message, MessageThread, ThreadRead


def _unread_messages(user_id: int, *, staff: bool) -> ColumnElement[bool]:
    """Messages not written by this user that they may see and have not read; join ThreadRead outer."""
    visible = [] if staff else [col(Message.internal_note).is_(False)]
    return and_(Message.id > func.coalesce(ThreadRead.last_read_message_id, 0),
                or_(col(Message.author_user_id).is_(None), Message.author_user_id != user_id), *visible)


def _read_row(user_id: int) -> ColumnElement[bool]:
    return and_(ThreadRead.thread_id == Message.thread_id, ThreadRead.user_id == user_id)


def unread_by_thread(session: Session, /, *, user_id: int, thread_ids: Iterable[int], staff: bool = False
                     ) -> dict[int, int]:
    """thread id -> unread message count for this user (threads with none are absent)."""
    ids = list(thread_ids)
    if not ids:
        return {}
    rows = session.connection().execute(
        select(Message.thread_id, func.count()).select_from(Message).outerjoin(ThreadRead, _read_row(user_id))
        .where(col(Message.thread_id).in_(ids), _unread_messages(user_id, staff=staff))
        .group_by(Message.thread_id)).all()
    return {thread_id: int(count) for thread_id, count in rows}


def patient_unread_query(user_id: int, account_id: int | None = None) -> ScalarSelect[int]:
    """A scalar subquery: this patient's unread messages over every account they may act on now (or only
    `account_id`, still only if they may act on it). The badge and the home card read this."""
    accounts = select(AccountAccess.account_id).where(AccountAccess.user_id == user_id,
                                                      col(AccountAccess.revoked_at).is_(None))
    if account_id is not None:
        accounts = accounts.where(AccountAccess.account_id == account_id)
    return (select(func.count()).select_from(Message)
            .join(MessageThread, MessageThread.id == Message.thread_id)
            .outerjoin(ThreadRead, _read_row(user_id))
            .where(col(MessageThread.account_id).in_(accounts), _unread_messages(user_id, staff=False))
            .scalar_subquery())


def mark_read_upto(session: Session, /, *, user_id: int, thread_id: int, message_id: int) -> bool:
    """Advance this user's read mark on the thread to `message_id`; True when it moved. It never moves back
    (two tabs, a stale page), and two first reads at once make one row (the insert race's loser updates)."""
    connection = session.connection()
    now = utcnow()
    advanced = connection.execute(
        update(ThreadRead).where(ThreadRead.thread_id == thread_id, ThreadRead.user_id == user_id,
                                 ThreadRead.last_read_message_id < message_id)
        .values(last_read_message_id=message_id, updated_at=now))
    if advanced.rowcount:
        return True
    exists = connection.execute(select(ThreadRead.id).where(ThreadRead.thread_id == thread_id,
                                                            ThreadRead.user_id == user_id)).first()
    if exists is not None:
        return False
    try:
        with savepoint_for_statement(connection):
            connection.execute(ThreadRead.__table__.insert().values(  # type: ignore[attr-defined]
                thread_id=thread_id, user_id=user_id, last_read_message_id=message_id, updated_at=now))
    except IntegrityError:  # a concurrent first read inserted the row: advance it instead
        return bool(connection.execute(
            update(ThreadRead).where(ThreadRead.thread_id == thread_id, ThreadRead.user_id == user_id,
                                     ThreadRead.last_read_message_id < message_id)
            .values(last_read_message_id=message_id, updated_at=now)).rowcount)
    return True


def last_visible_message_id(session: Session, /, *, thread_id: int, staff: bool) -> int:
    """The newest message id of the thread this kind of reader can see (0: none)."""
    query = select(func.max(Message.id)).where(Message.thread_id == thread_id)
    if not staff:
        query = query.where(col(Message.internal_note).is_(False))
    return int(session.connection().execute(query).scalar() or 0)
