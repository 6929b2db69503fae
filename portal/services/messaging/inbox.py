"""A patient's inbox: every thread of every account they may act on, newest activity first, and the unread
total the navigation badge and the home card show (both from `read_state`, so they always agree)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, account_relationships
from portal.models import GuarantorAccount, Message, MessageThread, ThreadCategory, ThreadStatus
from portal.models.messaging import CATEGORY_LABELS, STATUS_LABELS
from portal.services.claim_updates import claims_needing_you
from portal.services.messaging import read_state
from portal.services.messaging.threads import promised

PREVIEW_CHARS = 100


@dataclass(frozen=True)
class InboxRow:
    id: int
    subject: str
    category: ThreadCategory
    category_label: str  # 'Billing question'
    preview: str  # the first line of the last message, plain text, at most 100 characters
    status: ThreadStatus
    status_label: str  # 'Waiting for the billing office', 'Waiting for you', 'Resolved'
    unread: int  # messages from others this person has not read
    expected_reply_by: date | None  # while the office owes a reply
    last_message_at: datetime  # UTC
    account_label: str  # 'Account 100234 (Ana Diaz)' when the person has several accounts, else ''


@dataclass(frozen=True)
class InboxView:
    rows: tuple[InboxRow, ...]
    unread_total: int  # == sum of the rows' unread
    several_accounts: bool
    account_ids: tuple[int, ...] = ()  # the accounts whose inbox topics can change this view


def preview_of(body: str) -> str:
    """The first non-blank line, cut to 100 characters with an ellipsis."""
    line = next((part.strip() for part in body.splitlines() if part.strip()), '')
    return line if len(line) <= PREVIEW_CHARS else line[:PREVIEW_CHARS - 1].rstrip() + '…'


def inbox(session: Session, /, *, actor: Actor) -> InboxView:
    """The actor's own threads (patients; staff have the queue), newest activity first."""
    accounts = account_relationships(session, actor.user_id)
    if not accounts:
        return InboxView((), 0, False)
    last_visible = (select(Message.thread_id, func.max(Message.id).label('last_id'))
                    .where(col(Message.internal_note).is_(False)).group_by(Message.thread_id).subquery())
    rows = session.exec(
        select(MessageThread, Message.body, GuarantorAccount.account_number, GuarantorAccount.guarantor_first_name,
               GuarantorAccount.guarantor_last_name)
        .join(GuarantorAccount, GuarantorAccount.id == MessageThread.account_id)
        .join(last_visible, last_visible.c.thread_id == MessageThread.id, isouter=True)
        .join(Message, Message.id == last_visible.c.last_id, isouter=True)
        .where(col(MessageThread.account_id).in_(list(accounts)))
        .order_by(col(MessageThread.last_message_at).desc(), col(MessageThread.id).desc())).all()
    unread = read_state.unread_by_thread(session, user_id=actor.user_id, thread_ids=[row[0].id for row in rows])
    several = len(accounts) > 1
    views = tuple(
        InboxRow(id=int(thread.id), subject=thread.subject, category=thread.category,
                 category_label=CATEGORY_LABELS[thread.category], preview=preview_of(body or ''),
                 status=thread.status, status_label=STATUS_LABELS[thread.status], unread=unread.get(thread.id, 0),
                 expected_reply_by=promised(thread), last_message_at=thread.last_message_at,
                 account_label=f'Account {number} ({first} {last})' if several else '')
        for thread, body, number, first, last in rows)
    return InboxView(views, sum(row.unread for row in views), several, tuple(accounts))


def unread_total(session: Session, /, *, actor: Actor) -> int:
    """Unread messages over every thread of every account the actor may act on: the navigation badge."""
    return int(session.connection().execute(select(read_state.patient_unread_query(actor.user_id))).scalar() or 0)


@dataclass(frozen=True)
class Badge:
    unread: int  # what unread_total says
    account_ids: tuple[int, ...]  # the accounts whose inbox topics can change it
    by_account: tuple[tuple[int, int], ...] = ()  # (account id, unread) for each of them: the home cards
    claims: int = 0  # denied claims the patient can act on (claim_updates.claims_needing_you)

    def unread_of(self, account_id: int) -> int:
        return dict(self.by_account).get(account_id, 0)


def badge(session: Session, /, *, actor: Actor) -> Badge:
    """The navigation badges of a patient: the unread total, the accounts to watch for changes, each
    one's unread count (the home page's Messages cards), all from `read_state.patient_unread_query`, and
    the denied claims they can act on."""
    account_ids = tuple(account_relationships(session, actor.user_id))
    run = session.connection().execute
    by_account = tuple((account_id, int(run(select(read_state.patient_unread_query(actor.user_id, account_id)))
                                        .scalar() or 0)) for account_id in account_ids)
    return Badge(unread_total(session, actor=actor), account_ids, by_account, claims_needing_you(session, actor=actor))
