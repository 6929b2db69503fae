"""Emails about messages. A patient learns that the billing office wrote ("You have a new message from
<practice>": no content, no PHI, a link to sign in), at most once per thread per hour per person, and only
when their message preferences allow email."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.config import get_settings
from portal.models import AccountAccess, MessageThread, Notification, User
from portal.notify import outbox
from portal.services.preferences import allowed_channels

QUIET = timedelta(hours=1)  # one email per thread per person within this


def _key_prefix(thread_id: int, user_id: int) -> str:
    return f'new_message:{thread_id}:{user_id}:'


def notify_patient_of_reply(session: Session, thread_id: int) -> int:
    """Queue 'new_message' to each active person with access to the thread's account who wants message
    emails, unless one went to them about this thread within the hour; returns how many were queued.
    The staff reply use-case calls this in its own write session (the email exists iff the reply does)."""
    thread = session.get(MessageThread, thread_id)
    if thread is None:
        return 0
    people = session.exec(
        select(User).join(AccountAccess, col(AccountAccess.user_id) == User.id)
        .where(AccountAccess.account_id == thread.account_id, col(AccountAccess.revoked_at).is_(None),
               col(User.is_active).is_(True), User.role == 'patient')).all()
    wanted = allowed_channels(session, user_ids=[int(user.id) for user in people], kind='message')
    now = utcnow()
    hour = int(now.timestamp()) // 3600
    link = f'{get_settings().public_base_url}/messages/{thread_id}'
    queued = 0
    for user in people:
        if 'email' not in wanted.get(int(user.id), set()):
            continue
        prefix = _key_prefix(thread_id, int(user.id))
        recent = session.exec(select(Notification.id).where(
            col(Notification.dedupe_key).startswith(prefix, autoescape=True),
            Notification.created_at > now - QUIET)).first()
        if recent is not None:
            continue
        # the hour in the key also stops two replies sent at the same moment from both emailing
        if outbox.enqueue(session, channel='email', template='new_message', recipient=user.email,
                          dedupe_key=f'{prefix}{hour}', context={'first_name': user.first_name, 'link': link},
                          user_id=int(user.id), account_id=thread.account_id) is not None:
            queued += 1
    return queued
