"""The staff queue: threads oldest waiting first, with quick filters (all open, unassigned, mine, past the
expected reply date, billing disputes), a category and a status, and every filter's count from ONE grouped
query over `message_thread`.

Oldest waiting first is `last_message_at` ascending (then id): in an open thread that is how long the
patient has waited. "Open work" is every thread not resolved; the status filter widens or narrows it.
The indexes in migration 0012_messaging_indexes keep the first page and each filter fast at 50,000
threads (tests/benchmarks/bench_staff_queue.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import and_, case, func, select
from sqlmodel import Session, col

from portal.auth.permissions import Actor, require_staff
from portal.errors import ValidationFailed
from portal.models import GuarantorAccount, MessageThread, User
from portal.models.messaging import CATEGORY_LABELS, ThreadCategory, ThreadStatus
from portal.services.messaging import read_state
from portal.services.practice import practice

PAGE_SIZE = 25
OPEN_WORK = (ThreadStatus.open, ThreadStatus.waiting_on_patient)  # every status but resolved


class View(StrEnum):
    """The quick filters along the top of the queue."""
    open = 'open'  # every thread not resolved
    unassigned = 'unassigned'
    mine = 'mine'
    overdue = 'overdue'  # open (the office owes a reply) and past its expected reply date
    disputes = 'disputes'  # billing disputes not resolved
    all = 'all'  # resolved ones too


VIEW_LABELS = {View.open: 'Not resolved', View.unassigned: 'Unassigned', View.mine: 'Mine',
               View.overdue: 'Past reply date', View.disputes: 'Billing disputes', View.all: 'All'}


@dataclass(frozen=True)
class QueueRow:
    id: int
    subject: str
    category: ThreadCategory
    category_label: str
    status: ThreadStatus
    account_id: int
    account_number: str
    guarantor: str
    assigned_to: str  # '' when unassigned
    last_message_at: datetime
    expected_reply_by: date | None
    overdue: bool
    unread: int  # patient messages this staff member has not read


@dataclass(frozen=True)
class QueueCounts:
    views: dict[View, int]
    categories: dict[ThreadCategory, int]  # open work per category
    statuses: dict[ThreadStatus, int]  # all threads per status


@dataclass(frozen=True)
class QueuePage:
    view: View
    category: ThreadCategory | None
    status: ThreadStatus | None
    rows: tuple[QueueRow, ...]
    counts: QueueCounts
    page: int  # 1-based
    pages: int
    total: int  # threads matching the filters


def _choice(enum: type[StrEnum], text: str | None, what: str) -> StrEnum | None:
    if not text:
        return None
    try:
        return enum(text)
    except ValueError:
        raise ValidationFailed(f'Choose a {what} from the list.') from None


def _where(view: View, category: ThreadCategory | None, status: ThreadStatus | None, me: int, today: date) -> list:
    thread = MessageThread
    where = []
    if status is not None:
        where.append(thread.status == status)
    elif view != View.all:
        where.append(col(thread.status).in_(OPEN_WORK))
    if view == View.unassigned:
        where.append(col(thread.assigned_to_user_id).is_(None))
    elif view == View.mine:
        where.append(thread.assigned_to_user_id == me)
    elif view == View.overdue:
        where += [thread.status == ThreadStatus.open, col(thread.expected_reply_by) < today]
    elif view == View.disputes:
        where.append(thread.category == ThreadCategory.dispute_charge)
    if category is not None:
        where.append(thread.category == category)
    return where


def queue_counts(session: Session, *, me: int, today: date) -> QueueCounts:
    """Every count the queue shows, from one GROUP BY over the threads."""
    thread = MessageThread
    unassigned = case((col(thread.assigned_to_user_id).is_(None), 1), else_=0)
    mine = case((thread.assigned_to_user_id == me, 1), else_=0)
    overdue = case((and_(thread.status == ThreadStatus.open, col(thread.expected_reply_by) < today), 1), else_=0)
    rows = session.connection().execute(
        select(thread.status, thread.category, unassigned, mine, overdue, func.count())
        .group_by(thread.status, thread.category, unassigned, mine, overdue)).all()
    views = dict.fromkeys(View, 0)
    categories = dict.fromkeys(ThreadCategory, 0)
    statuses = dict.fromkeys(ThreadStatus, 0)
    for status, category, is_unassigned, is_mine, is_overdue, count in rows:
        statuses[ThreadStatus(status)] += count
        views[View.all] += count
        if status == ThreadStatus.resolved:
            continue
        categories[ThreadCategory(category)] += count
        views[View.open] += count
        views[View.unassigned] += count * is_unassigned
        views[View.mine] += count * is_mine
        views[View.overdue] += count * is_overdue
        views[View.disputes] += count if category == ThreadCategory.dispute_charge else 0
    return QueueCounts(views, categories, statuses)


def staff_queue(session: Session, /, *, actor: Actor, view: str = View.open, category: str | None = None,
                status: str | None = None, page: int = 1, page_size: int = PAGE_SIZE) -> QueuePage:
    """One page of the queue (oldest waiting first) and every filter's count. Staff only (anyone else:
    Refused, a NotFound); an unknown view, category or status is ValidationFailed. A page past the last
    shows the last."""
    require_staff(session, actor, purpose='staff_queue')
    chosen = _choice(View, view or View.open, 'view')
    chosen_category = _choice(ThreadCategory, category, 'category')
    chosen_status = _choice(ThreadStatus, status, 'status')
    today = practice(session).day_of(None)
    counts = queue_counts(session, me=actor.user_id, today=today)
    where = _where(chosen, chosen_category, chosen_status, actor.user_id, today)
    total = session.connection().execute(select(func.count()).select_from(MessageThread).where(*where)).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    thread = MessageThread
    assignee = User.__table__.alias('assignee')
    query = (select(thread.id, thread.subject, thread.category, thread.status, thread.account_id,
                    GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
                    GuarantorAccount.guarantor_last_name, assignee.c.first_name, assignee.c.last_name,
                    thread.last_message_at, thread.expected_reply_by)
             .join(GuarantorAccount, GuarantorAccount.id == thread.account_id)
             .outerjoin(assignee, assignee.c.id == thread.assigned_to_user_id)
             .where(*where).order_by(col(thread.last_message_at), col(thread.id))
             .limit(page_size).offset((page - 1) * page_size))
    found = session.connection().execute(query).all()
    unread = read_state.unread_by_thread(session, user_id=actor.user_id, thread_ids=[row[0] for row in found],
                                         staff=True)
    rows = tuple(QueueRow(
        id=row[0], subject=row[1], category=ThreadCategory(row[2]), category_label=CATEGORY_LABELS[row[2]],
        status=ThreadStatus(row[3]), account_id=row[4], account_number=row[5], guarantor=f'{row[6]} {row[7]}',
        assigned_to=f'{row[8] or ""} {row[9] or ""}'.strip(), last_message_at=row[10], expected_reply_by=row[11],
        overdue=row[3] == ThreadStatus.open and row[11] is not None and row[11] < today,
        unread=unread.get(row[0], 0)) for row in found)
    return QueuePage(chosen, chosen_category, chosen_status, rows, counts, page, pages, total)
