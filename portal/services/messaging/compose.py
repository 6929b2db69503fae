"""What a patient does with messages: start a thread (optionally about one of their own charges, payments,
claims or appointments), ask about a statement line, open and read a conversation, reply, mark resolved.

Every send is checked (safety.py) before anything is read, is idempotent by the page's key, and publishes
live topics (threads.post). Another account's thread is a NotFound, audited by `require_account`."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit, live
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.clock import utcnow
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    AccountFlag,
    Charge,
    GuarantorAccount,
    MessageThread,
    ThreadCategory,
    ThreadStatus,
    User,
)
from portal.models.accounts import FlagKind
from portal.models.messaging import CATEGORY_LABELS, STATUS_LABELS
from portal.services.messaging import attachments, links, read_state, safety, threads
from portal.services.messaging.attachments import Upload
from portal.services.messaging.links import LinkView
from portal.services.messaging.threads import MessageView
from portal.services.practice import practice
from portal.services.statements import QUESTION_CATEGORIES, get_statement


@dataclass(frozen=True)
class AccountChoice:
    id: int
    label: str  # 'Account 100234 (Ana Diaz)'


@dataclass(frozen=True)
class ComposeView:
    accounts: tuple[AccountChoice, ...]  # the accounts this person may write about (a choice when several)
    account_id: int  # the one chosen
    links: tuple[LinkView, ...]  # that account's items a thread may be about
    categories: tuple[tuple[ThreadCategory, str], ...]  # (value, label) in the order to offer them
    reply_days: int  # business days the office takes to answer (the practice setting)


@dataclass(frozen=True)
class ConversationView:
    id: int
    account_id: int
    subject: str
    category: ThreadCategory
    category_label: str
    status: ThreadStatus
    status_label: str
    expected_reply_by: date | None  # while the office owes a reply
    link: LinkView | None  # what the thread is about
    statement_id: int | None  # the statement a charge question was asked from
    messages: tuple[MessageView, ...]  # oldest first; never an internal note for a patient
    last_message_id: int  # the newest message shown (read up to here)


def compose_form(session: Session, /, *, actor: Actor, account_id: int | None = None) -> ComposeView:
    """The new-message form's choices; the account is the given one (checked) or the person's first."""
    accounts = account_relationships(session, actor.user_id)
    if not accounts:
        raise NotFound('There is no account to write about.')
    chosen = account_id if account_id is not None else next(iter(accounts))
    require_account(session, actor, chosen, purpose='compose_message')
    rows = session.exec(select(GuarantorAccount).where(col(GuarantorAccount.id).in_(list(accounts)))
                        .order_by(col(GuarantorAccount.id))).all()
    choices = tuple(AccountChoice(int(row.id), f'Account {row.account_number} ({row.guarantor_first_name} '
                                               f'{row.guarantor_last_name})') for row in rows)
    return ComposeView(choices, chosen, tuple(links.choices(session, chosen)), tuple(CATEGORY_LABELS.items()),
                       practice(session).reply_business_days)


def _check_daily_limit(session: Session, actor: Actor) -> None:
    """At most NEW_THREADS_PER_DAY new threads per person over 24 hours. The person's row is locked first
    (PostgreSQL), so two tabs at the limit cannot both slip through."""
    session.exec(select(User.id).where(User.id == actor.user_id).with_for_update()).first()
    since = utcnow() - timedelta(days=1)
    started = session.exec(select(func.count()).select_from(MessageThread).where(
        MessageThread.created_by_user_id == actor.user_id, MessageThread.created_at >= since)).one()
    if started >= safety.NEW_THREADS_PER_DAY:
        phone = practice(session).phone
        raise ValidationFailed(f'You have started {safety.NEW_THREADS_PER_DAY} conversations today, the most in a '
                               f'day. Reply in one of them{f", or call us at {phone}" if phone else ""}.')


def dispute_reason(thread: MessageThread) -> str:
    """The reason a dispute thread's flag carries: what was disputed, so resolving this thread clears this
    flag and no other ('charge 16 disputed by the patient', or the thread itself when no charge is linked)."""
    about = f'charge {thread.charge_id}' if thread.charge_id else f'message thread {thread.id}'
    return f'{about} disputed by the patient'


def _dispute(session: Session, actor: Actor, thread: MessageThread) -> None:
    """A dispute raises the account's billing-dispute flag (staff clear it when they resolve the dispute)."""
    session.add(AccountFlag(account_id=thread.account_id, kind=FlagKind.dispute,
                            reason=dispute_reason(thread), created_by_user_id=actor.user_id))


def _new_thread(session: Session, actor: Actor, *, account_id: int, category: ThreadCategory, subject: str,
                body: str, key: str | None, link: tuple[str, int] | None = None,
                statement_id: int | None = None, files: Sequence[Upload] = ()) -> int:
    """Create the thread and its first message in one savepoint; a key already posted returns its thread."""
    earlier = threads.existing_post(session, key, actor=actor)
    if earlier is not None:
        return int(earlier.thread_id)
    if not actor.is_staff:
        _check_daily_limit(session, actor)
    now = utcnow()
    thread = MessageThread(account_id=account_id, category=category, subject=subject, statement_id=statement_id,
                           created_by_user_id=actor.user_id, created_at=now, last_message_at=now,
                           status=ThreadStatus.open)
    links.apply(session, thread, link)
    with session.begin_nested():
        session.add(thread)
        session.flush()
    message, fresh = threads.post(session, thread, actor=actor, body=body, key=key, first=True, files=files)
    if not fresh:  # the same key won a race meanwhile: drop this copy of the thread
        session.delete(thread)
        return int(message.thread_id)
    if category == ThreadCategory.dispute_charge:
        _dispute(session, actor, thread)
    audit.record(session, action='start_thread', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=account_id, source_ip=actor.ip,
                 detail=category)
    return int(thread.id)


def _checked(clean, value: str, problems: list[ValidationFailed]) -> str:  # noqa: ANN001
    try:
        return clean(value)
    except ValidationFailed as problem:
        problems.append(problem)
        return ''


def start_thread(session: Session, /, *, actor: Actor, account_id: int, category: str, subject: str, body: str,
                 link: str | None = None, idempotency_key: str | None = None, files: Sequence[Upload] = ()) -> int:
    """A new conversation with the billing office; returns the thread id. `link` is 'charge:12' (or payment,
    claim, appointment) and must be the account's own; `files` [(name, bytes)] are its first message's
    attachments (at most 5, each checked before anything is stored). Raises ValidationFailed for a bad
    category, subject, body, file, link or key, or past 20 new threads in a day; NotFound for an account the
    actor may not act on."""
    key = safety.clean_key(idempotency_key)
    problems: list[ValidationFailed] = []
    if category not in CATEGORY_LABELS:
        problems.append(ValidationFailed('Choose what your message is about.',
                                         field_errors={'category': 'Choose what your message is about.'}))
    title = _checked(safety.clean_subject, subject, problems)
    text = _checked(safety.clean_body, body, problems)
    _checked(attachments.check, files, problems)
    if problems:  # every field's problem at once, not one per try
        message = problems[0].message if len(problems) == 1 else 'Please fix the fields marked in red.'
        raise ValidationFailed(message, field_errors={name: words for problem in problems
                                                      for name, words in problem.field_errors.items()})
    require_account(session, actor, account_id, purpose='start_thread')
    about = links.resolve(session, account_id, link)
    return _new_thread(session, actor, account_id=account_id, category=ThreadCategory(category), subject=title,
                       body=text, key=key, link=about, files=files)


def ask_about_charge(session: Session, /, *, actor: Actor, statement_id: int, charge_id: int, body: str,
                     category: str = ThreadCategory.billing_question, idempotency_key: str | None = None,
                     files: Sequence[Upload] = ()) -> int:
    """A question (or a dispute) about one line of a statement; returns the thread id. A second one about a
    line that has an unresolved thread joins that thread. `files` as for start_thread (an Explanation of
    Benefits, a photo of a receipt)."""
    if category not in QUESTION_CATEGORIES:
        raise ValidationFailed('Choose a question or a dispute.')
    text, key = safety.clean_body(body), safety.clean_key(idempotency_key)
    attachments.check(files)
    statement = get_statement(session, actor=actor, statement_id=statement_id, purpose='ask_about_charge')
    charge = session.get(Charge, charge_id)
    if charge is None or charge.account_id != statement.account_id:
        raise NotFound('We could not find that charge.')
    thread = session.exec(select(MessageThread).where(
        MessageThread.charge_id == charge_id, MessageThread.status != ThreadStatus.resolved,
        col(MessageThread.category).in_(QUESTION_CATEGORIES)).order_by(col(MessageThread.id).desc())).first()
    if thread is not None:
        message, _ = threads.post(session, thread, actor=actor, body=text, key=key, files=files)
        return int(message.thread_id)
    label = 'Dispute' if category == ThreadCategory.dispute_charge else 'Question'
    subject = f'{label} about {charge.code} on the {statement.statement_date:%B %Y} statement'
    return _new_thread(session, actor, account_id=statement.account_id, category=ThreadCategory(category),
                       subject=subject, body=text, key=key, link=('charge', charge_id), statement_id=statement_id,
                       files=files)


def open_thread(session: Session, /, *, actor: Actor, thread_id: int) -> ConversationView:
    """The conversation as this person may see it; what it shows counts as read by them from now."""
    thread = threads.thread_for(session, actor, thread_id, purpose='view_thread')
    messages = tuple(threads.message_views(session, int(thread.id), actor=actor))
    last = messages[-1].id if messages else 0
    if last and read_state.mark_read_upto(session, user_id=actor.user_id, thread_id=int(thread.id), message_id=last):
        live.publish(session, f'inbox:{thread.account_id}')  # other tabs' badges (never this thread's page: no loop)
    return ConversationView(
        id=int(thread.id), account_id=thread.account_id, subject=thread.subject, category=thread.category,
        category_label=CATEGORY_LABELS[thread.category], status=thread.status,
        status_label=STATUS_LABELS[thread.status], expected_reply_by=threads.promised(thread),
        link=links.of_thread(session, thread), statement_id=thread.statement_id, messages=messages,
        last_message_id=last)


def find_thread(session: Session, /, *, actor: Actor, thread_id: int) -> ConversationView | None:
    """open_thread, but None instead of NotFound, so a refusal's audit event commits with the page's read."""
    try:
        return open_thread(session, actor=actor, thread_id=thread_id)
    except NotFound:
        return None


def reply(session: Session, /, *, actor: Actor, thread_id: int, body: str, idempotency_key: str | None = None,
          files: Sequence[Upload] = ()) -> int:
    """Add the person's message, with up to 5 files [(name, bytes)], to the thread (a resolved thread opens
    again); returns the message id. A refused body or file (ValidationFailed) posts nothing."""
    text, key = safety.clean_body(body), safety.clean_key(idempotency_key)
    attachments.check(files)
    thread = threads.thread_for(session, actor, thread_id, purpose='reply_thread')
    message, _ = threads.post(session, thread, actor=actor, body=text, key=key, files=files)
    return int(message.id)


def mark_read(session: Session, /, *, actor: Actor, thread_id: int, upto_message_id: int) -> None:
    """The person has seen the thread up to this message (a page that showed it); never moves back."""
    thread = threads.thread_for(session, actor, thread_id, purpose='view_thread')
    last = read_state.last_visible_message_id(session, thread_id=int(thread.id), staff=actor.is_staff)
    upto = min(upto_message_id, last)
    if upto > 0 and read_state.mark_read_upto(session, user_id=actor.user_id, thread_id=int(thread.id),
                                              message_id=upto):
        live.publish(session, f'inbox:{thread.account_id}')


def mark_resolved(session: Session, /, *, actor: Actor, thread_id: int) -> None:
    """The patient is done with this conversation. A billing-dispute flag stays raised: only staff who
    resolve the dispute clear it."""
    thread = threads.thread_for(session, actor, thread_id, purpose='resolve_thread')
    if thread.status == ThreadStatus.resolved:
        return
    threads.set_status(session, thread, ThreadStatus.resolved)
    audit.record(session, action='resolve_thread', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=thread.account_id, source_ip=actor.ip)
    threads.publish(session, thread)
