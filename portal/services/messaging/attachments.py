"""A message's files, kept by the one file service (`portal.services.files`, owner_kind 'message').

- `check(uploads)`: FileRefused for too many files or any file the service would refuse; run before anything
  is stored (and before the message is written), so a refused file means no message and no file.
- `store(session, message_id, uploads, uploaded_by=)`: the files, in the message's own write session.
- `of_messages(session, ids)`: message id -> its StoredFileViews, for the thread views.
- Who may open a message's file (`/files/{id}`), registered with the file service at import: staff may
  see every message's files (their view is audited by `require_account`); a patient those of messages in
  threads of accounts they may see, never of an internal note.
"""
from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, require_account
from portal.models import Message, MessageThread
from portal.services import files
from portal.services.files import StoredFileView

OWNER_KIND = 'message'
Upload = tuple[str, bytes]  # (name as the person chose it, the bytes)


def check(uploads: Sequence[Upload]) -> None:
    """FileRefused (saying which file and what is wrong) for more than MAX_FILES_PER_MESSAGE files or
    any refused file. No side effects."""
    files.check_count(len(uploads))
    for name, data in uploads:
        files.check_upload(name, data)


def store(session: Session, message_id: int, uploads: Sequence[Upload], *, uploaded_by: int | None) -> None:
    """Keep the (checked) files for a message just posted, in the same write session."""
    for name, data in uploads:
        files.store(session, owner_kind=OWNER_KIND, owner_id=message_id, name=name, data=data, uploaded_by=uploaded_by)


def of_messages(session: Session, message_ids: Sequence[int]) -> dict[int, tuple[StoredFileView, ...]]:
    """message id -> its files in upload order (messages without files are left out). No access check:
    the caller has checked access to the thread."""
    return {owner: tuple(views) for owner, views in
            files.files_of(session, owner_kind=OWNER_KIND, owner_ids=list(message_ids)).items()}


def may_see(session: Session, actor: Actor, message_id: int) -> int | None:
    """Staff: every message. A patient: a message that is not an internal note, in a thread of an account
    they may see (another account's: Refused, audited). Returns the account id; the file service audits
    the view itself."""
    row = session.exec(select(Message.internal_note, MessageThread.account_id)
                       .join(MessageThread, col(MessageThread.id) == Message.thread_id)
                       .where(Message.id == message_id)).first()
    if row is None or (row[0] and not actor.is_staff):
        return None
    require_account(session, actor, row[1], purpose='view_message_file', audit_view=False)
    return row[1]


def messages_present(session: Session, message_ids: list[int]) -> set[int]:
    """The ids among these that are still messages (for the file service's orphan sweep)."""
    return set(session.exec(select(Message.id).where(col(Message.id).in_(message_ids))).all())


files.register_access(OWNER_KIND, may_see, owners_present=messages_present)
