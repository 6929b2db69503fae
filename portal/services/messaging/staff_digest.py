"""The daily staff digest: each active staff member and admin gets one email naming how many threads are
past the date the office promised a reply (a count and a link; no patient's name or words), at most once
per practice day (dedupe key `staff-digest:<user>:<day>`)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from portal.auth.permissions import STAFF_ROLES
from portal.config import get_settings
from portal.models import MessageThread, User
from portal.models.messaging import ThreadStatus
from portal.notify import outbox


def overdue_count(session: Session, *, on: date) -> int:
    """Threads the office owes a reply to whose expected reply date is before `on`."""
    return int(session.connection().execute(select(func.count()).select_from(MessageThread).where(
        MessageThread.status == ThreadStatus.open, col(MessageThread.expected_reply_by) < on)).scalar_one())


def queue_staff_digest(session: Session, /, *, on: date) -> int:
    """Queue the digest for `on` (a practice day) to every active staff member and admin with an email;
    returns how many were queued (0 when nothing is overdue, or when today's were queued already)."""
    count = overdue_count(session, on=on)
    if not count:
        return 0
    link = get_settings().public_base_url.rstrip('/') + '/staff/messages?view=overdue'
    queued = 0
    for user in session.exec(select(User).where(col(User.role).in_(sorted(STAFF_ROLES)),  # type: ignore[call-overload]
                                                User.is_active == True)).scalars():  # noqa: E712
        if user.email and outbox.enqueue(session, channel='email', template='staff_digest', recipient=user.email,
                                         dedupe_key=f'staff-digest:{user.id}:{on.isoformat()}', user_id=user.id,
                                         context={'first_name': user.first_name, 'count': count, 'link': link}):
            queued += 1
    return queued
