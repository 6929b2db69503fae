"""Staff work on one thread: open it beside the account (audited once per opening, never on a live
refresh), reply, write internal notes (staff only: the patient's services never return them), assign,
set the status (resolving a billing dispute clears that flag with a note, never a card chargeback), move
the thread to another account its patient can see, and start a thread to a patient (`start_thread`, which
other issues call to ask for insurance details or to move a visit).

Every change publishes the thread, the account's inbox and the staff queue (`threads.publish`)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import STAFF_ROLES, Actor, require_account, require_staff
from portal.errors import NotFound, ValidationFailed
from portal.models import AccountAccess, AccountFlag, FlagKind, GuarantorAccount, Message, MessageThread, User
from portal.models.messaging import CATEGORY_LABELS, AuthorRole, ThreadCategory, ThreadStatus
from portal.services import account_flags
from portal.services.files import StoredFileView
from portal.services.messaging import attachments, compose, links, notices, read_state, safety, staff_common, threads
from portal.services.messaging.attachments import Upload
from portal.services.messaging.staff_common import staff_thread
from portal.services.messaging.staff_context import AccountContext, account_context

STATUS_CHOICES = {ThreadStatus.open: 'Open', ThreadStatus.waiting_on_patient: 'Waiting on patient',
                  ThreadStatus.resolved: 'Resolved'}


@dataclass(frozen=True)
class StaffMessage:
    id: int
    author: str  # the patient's or the staff member's name
    from_patient: bool
    internal_note: bool  # staff only; drawn visibly apart
    body: str
    at: datetime
    files: tuple[StoredFileView, ...] = ()  # its attachments, in upload order


@dataclass(frozen=True)
class Colleague:
    id: int
    name: str


@dataclass(frozen=True)
class StaffThreadView:
    id: int
    subject: str
    category: ThreadCategory
    category_label: str
    status: ThreadStatus
    assigned_to_user_id: int | None
    assigned_to: str
    expected_reply_by: date | None
    messages: tuple[StaffMessage, ...]
    context: AccountContext
    colleagues: tuple[Colleague, ...]  # whom it can be assigned to
    move_targets: tuple[tuple[int, str], ...]  # (account id, 'A100234 · Maria Lopez') the patient can see

    @property
    def is_billing_dispute(self) -> bool:
        return self.category == ThreadCategory.dispute_charge


def open_thread(session: Session, /, *, actor: Actor, thread_id: int, opening: bool = True) -> StaffThreadView:
    """The thread with its account beside it, internal notes included; staff's read mark moves to its last
    message. `opening=True` (a person opened the page) audits the view once; a live refresh passes False and
    is not audited. Staff only: anyone else and an unknown id get NotFound."""
    thread = staff_thread(session, actor, thread_id, purpose='staff_open_thread')
    if opening:
        audit.record(session, action='staff_open_thread', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='message_thread', entity_id=thread.id, account_id=thread.account_id,
                     source_ip=actor.ip)
    messages = session.exec(select(Message).where(Message.thread_id == thread.id)
                            .order_by(col(Message.created_at), col(Message.id))).all()
    if messages:
        read_state.mark_read_upto(session, user_id=actor.user_id, thread_id=thread.id,
                                  message_id=max(int(message.id) for message in messages))
    names = {user.id: f'{user.first_name} {user.last_name}'.strip() or user.email for user in session.exec(
        select(User).where(col(User.id).in_({m.author_user_id for m in messages if m.author_user_id}))).all()}
    stored = attachments.of_messages(session, [int(m.id) for m in messages])
    return StaffThreadView(
        id=thread.id, subject=thread.subject, category=ThreadCategory(thread.category),
        category_label=CATEGORY_LABELS[ThreadCategory(thread.category)], status=ThreadStatus(thread.status),
        assigned_to_user_id=thread.assigned_to_user_id,
        assigned_to=staff_common.staff_name(session, thread.assigned_to_user_id),
        expected_reply_by=thread.expected_reply_by,
        messages=tuple(StaffMessage(m.id, names.get(m.author_user_id, 'Billing office' if m.author_role ==
                                                    AuthorRole.staff else 'Patient'),
                                    m.author_role == AuthorRole.patient, m.internal_note, m.body, m.created_at,
                                    stored.get(int(m.id), ()))
                       for m in messages),
        context=account_context(session, actor=actor, account_id=thread.account_id,
                                linked=links.of_thread(session, thread), audited=False),
        colleagues=colleagues(session), move_targets=_move_targets(session, thread))


def colleagues(session: Session) -> tuple[Colleague, ...]:
    """Active staff and admins, by name."""
    rows = session.exec(select(User).where(col(User.role).in_(sorted(STAFF_ROLES)), User.is_active == True)  # noqa: E712
                        .order_by(col(User.first_name), col(User.last_name), col(User.id))).all()
    return tuple(Colleague(row.id, f'{row.first_name} {row.last_name}'.strip() or row.email) for row in rows)


def reply(session: Session, /, *, actor: Actor, thread_id: int, body: str, idempotency_key: str | None = None,
          files: Sequence[Upload] = ()) -> int:
    """Send the patient a reply with up to 5 files [(name, bytes)] (a refused one posts nothing); returns the
    message id. The same key posts once (a double click, a retry).
    The thread then waits on the patient, and the patient gets a contentless "new message" email, at most
    once per thread an hour (`notices.notify_patient_of_reply`)."""
    text, key = safety.clean_body(body), safety.clean_key(idempotency_key)
    attachments.check(files)
    thread = staff_thread(session, actor, thread_id, purpose='staff_reply')
    message, new = threads.post(session, thread, actor=actor, body=text, key=key, files=files)
    if new:
        notices.notify_patient_of_reply(session, thread.id)
        audit.record(session, action='staff_reply', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='message_thread', entity_id=thread.id, account_id=thread.account_id,
                     source_ip=actor.ip)
    return int(message.id)


def add_note(session: Session, /, *, actor: Actor, thread_id: int, body: str,
             idempotency_key: str | None = None) -> int:
    """An internal note: staff only, never shown or counted for the patient; the status does not change."""
    thread = staff_thread(session, actor, thread_id, purpose='staff_note')
    message, _ = threads.post(session, thread, actor=actor, body=safety.clean_body(body),
                              key=safety.clean_key(idempotency_key), internal_note=True)
    return int(message.id)


def assign(session: Session, /, *, actor: Actor, thread_id: int, assignee_user_id: int | None) -> str:
    """Assign the thread to a colleague (staff or admin, active), to oneself, or to nobody (None); returns
    the assignee's name ('' for nobody)."""
    thread = staff_thread(session, actor, thread_id, purpose='staff_assign')
    if assignee_user_id is not None:
        assignee = session.get(User, assignee_user_id)
        if assignee is None or assignee.role not in STAFF_ROLES or not assignee.is_active:
            raise ValidationFailed('Choose a colleague from the list.')
    thread.assigned_to_user_id = assignee_user_id
    audit.record(session, action='staff_assign', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=thread.account_id,
                 source_ip=actor.ip, detail=f'to={assignee_user_id or "nobody"}')
    threads.publish(session, thread)
    return staff_common.staff_name(session, assignee_user_id)


def set_status(session: Session, /, *, actor: Actor, thread_id: int, status: str, note: str = '') -> int:
    """Open, waiting on patient or resolved. Resolving a billing dispute needs a note: it is kept as an
    internal note and this thread's billing-dispute flag is cleared (`account_flags.resolve_flags`, kind
    dispute and this thread's reason only: other disputes and a card chargeback stay open). Returns how
    many flags were cleared."""
    thread = staff_thread(session, actor, thread_id, purpose='staff_status')
    try:
        chosen = ThreadStatus(status)
    except ValueError:
        raise ValidationFailed('Choose a status from the list.') from None
    cleared = 0
    if chosen == ThreadStatus.resolved and thread.category == ThreadCategory.dispute_charge:
        text = (note or '').strip()
        if not text:
            message = 'Say how the dispute was resolved (the note stays with the account).'
            raise ValidationFailed(message, field_errors={'note': message})
        threads.post(session, thread, actor=actor, body=safety.clean_body('Billing dispute resolved: ' + text),
                     key=None, internal_note=True)
        cleared = account_flags.resolve_flags(session, actor=actor, account_id=thread.account_id,
                                              kind=FlagKind.dispute, reason=compose.dispute_reason(thread))
    threads.set_status(session, thread, chosen)
    audit.record(session, action='staff_status', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=thread.account_id,
                 source_ip=actor.ip, detail=f'status={chosen} flags_cleared={cleared}')
    threads.publish(session, thread)
    return cleared


def _patient_users(session: Session, thread: MessageThread) -> set[int]:
    """The patients in the conversation: its patient authors and a patient who started it; for a thread
    staff started that nobody answered yet, everyone who may see its account."""
    authors = set(session.exec(select(Message.author_user_id).where(
        Message.thread_id == thread.id, Message.author_role == AuthorRole.patient,
        col(Message.author_user_id).is_not(None))).all())
    creator = session.get(User, thread.created_by_user_id) if thread.created_by_user_id else None
    if creator is not None and creator.role not in STAFF_ROLES:
        authors.add(creator.id)
    if authors:
        return authors
    return set(session.exec(select(AccountAccess.user_id).where(
        AccountAccess.account_id == thread.account_id, col(AccountAccess.revoked_at).is_(None))).all())


def _visible_accounts(session: Session, user_ids: set[int]) -> set[int]:
    """Accounts every one of these users may see (unrevoked access)."""
    if not user_ids:
        return set()
    rows = session.exec(select(AccountAccess.user_id, AccountAccess.account_id).where(
        col(AccountAccess.user_id).in_(user_ids), col(AccountAccess.revoked_at).is_(None))).all()
    per_user: dict[int, set[int]] = {user_id: set() for user_id in user_ids}
    for user_id, account_id in rows:
        per_user[user_id].add(account_id)
    return set.intersection(*per_user.values())


def _move_targets(session: Session, thread: MessageThread) -> tuple[tuple[int, str], ...]:
    ids = _visible_accounts(session, _patient_users(session, thread)) - {thread.account_id}
    rows = session.exec(select(GuarantorAccount).where(col(GuarantorAccount.id).in_(ids))
                        .order_by(col(GuarantorAccount.account_number))).all() if ids else []
    return tuple((row.id, f'{row.account_number} · {row.guarantor_first_name} {row.guarantor_last_name}')
                 for row in rows)


def move(session: Session, /, *, actor: Actor, thread_id: int, account_id: int) -> None:
    """Move the thread to another account its patient can see (ValidationFailed otherwise). Its link to a
    statement line, payment, claim or appointment of the old account is dropped; a billing dispute's open
    flag moves with it (resolving the dispute on the new account clears it)."""
    thread = staff_thread(session, actor, thread_id, purpose='staff_move')
    if account_id == thread.account_id:
        raise ValidationFailed('The conversation is already on that account.')
    if account_id not in _visible_accounts(session, _patient_users(session, thread)):
        raise ValidationFailed('Choose an account the patient can see.')
    old, disputed = thread.account_id, compose.dispute_reason(thread)
    thread.account_id = account_id
    thread.charge_id = thread.statement_id = thread.payment_id = thread.claim_id = thread.appointment_id = None
    thread.patient_id = None
    flags = session.exec(select(AccountFlag).where(
        AccountFlag.account_id == old, AccountFlag.kind == FlagKind.dispute, AccountFlag.reason == disputed,
        col(AccountFlag.cleared_at).is_(None))).all() if thread.category == ThreadCategory.dispute_charge else []
    for flag in flags:  # the dispute's flag follows it, so resolving the dispute there clears it
        flag.account_id, flag.reason = account_id, compose.dispute_reason(thread)
    audit.record(session, action='staff_move_thread', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'from={old} flags_moved={len(flags)}')
    threads.publish(session, thread, account_ids=(old,))


def start_thread(session: Session, /, *, actor: Actor, account_id: int, category: str, subject: str, body: str,
                 link: str | None = None, idempotency_key: str | None = None) -> int:
    """Staff write first to the people on an account; returns the thread id. The thread waits on the
    patient, who gets a contentless "new message" email. `link` ('charge:12', 'payment:3', 'claim:5',
    'appointment:8'; see `links`) is optional; an item of another account is ValidationFailed. Other issues
    call this (insurance details, moving a visit). Staff only; an unknown account is NotFound."""
    require_staff(session, actor, purpose='staff_start_thread')
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        raise NotFound()
    require_account(session, actor, account_id, purpose='staff_start_thread')
    key = safety.clean_key(idempotency_key)
    earlier = threads.existing_post(session, key, actor=actor)
    if earlier is not None:
        return int(earlier.thread_id)
    try:
        chosen = ThreadCategory(category)
    except ValueError:
        raise ValidationFailed('Choose a category from the list.') from None
    title, text = safety.clean_subject(subject), safety.clean_body(body)
    about = links.resolve(session, account_id, link)
    thread = MessageThread(account_id=account_id, subject=title, category=chosen,
                           status=ThreadStatus.waiting_on_patient, created_by_user_id=actor.user_id)
    links.apply(session, thread, about)
    session.add(thread)
    session.flush()
    threads.post(session, thread, actor=actor, body=text, key=key)
    notices.notify_patient_of_reply(session, thread.id)
    audit.record(session, action='staff_start_thread', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='message_thread', entity_id=thread.id, account_id=account_id, source_ip=actor.ip,
                 detail=f'category={chosen}')
    return int(thread.id)
