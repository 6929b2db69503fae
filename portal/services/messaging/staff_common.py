"""What the staff modules share: loading a thread for staff (require_staff, not require_account, which
would audit every staff read: the opening is audited once by `staff_threads.open_thread`) and naming a
colleague. Every message rule (checks, one post per key, status, read marks, live topics) is the shared
one in `threads.py` and `safety.py`."""
from __future__ import annotations

from sqlmodel import Session

from portal.auth.permissions import Actor, require_staff
from portal.errors import NotFound
from portal.models import MessageThread, User
from portal.services.messaging.threads import GONE


def staff_thread(session: Session, actor: Actor, thread_id: int, *, purpose: str) -> MessageThread:
    """The thread, for staff only; NotFound for anyone else (audited) or an unknown id."""
    require_staff(session, actor, purpose=purpose)
    thread = session.get(MessageThread, thread_id) if 0 < thread_id < 2**31 else None
    if thread is None:
        raise NotFound(GONE)
    return thread


def staff_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return (f'{user.first_name} {user.last_name}'.strip() or user.email) if user is not None else ''
