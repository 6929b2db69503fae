"""The one file service: message attachments now, insurance card photos later.

- `check_upload(name, data)`: FileRefused (a message a patient can read) for anything we do not keep:
  not a PDF, JPEG, PNG or HEIC by its content, empty, over MAX_BYTES, over 40 megapixels (read from
  the header, before decoding), a damaged picture, a name with control characters. No side effects.
- `store(session, owner_kind=, owner_id=, name=, data=, uploaded_by=)`: in the caller's write session,
  a StoredFile row and the cleaned bytes (pictures re-encoded without metadata, HEIC as JPEG, PDFs as
  they are); the bytes reach their final random name only when the session commits (portal.services.
  file_disk), so a failed use-case leaves no row and no file. At most MAX_FILES_PER_MESSAGE per owner.
- `files_of(session, owner_kind=, owner_ids=)`: the StoredFileViews of several owners at once.
- `register_access(owner_kind, check, owners_present=)`: the owner's module says who may see its
  files (`check(session, actor, owner_id) -> bool`) and, for the orphan sweep, which owners still exist.
- `read_file(session, actor=, file_id=)`: (view, bytes) for /files/{id}; anyone the owner's check
  refuses, and any unknown id, gets Refused (a NotFound), audited once. A view by staff or a proxy is
  audited once per user and file per VIEW_AUDIT_WINDOW (not on every fetch of a thumbnail).
- `sweep_orphans(session)`: housekeeping: files on disk without a row (older than an hour), uploads
  never committed, and rows whose owner is gone.
"""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, Refused, account_relationships
from portal.clock import utcnow
from portal.errors import NotFound
from portal.models import AuditEvent, StoredFile
from portal.services import file_disk
from portal.services.file_content import MAX_BYTES, MAX_PIXELS, FileRefused, prepare

log = logging.getLogger(__name__)

MAX_FILES_PER_MESSAGE = 5
ORPHAN_AGE = timedelta(hours=1)
_BATCH = 500

# owner id -> the owner's account id when the actor may see its files, else None (or Refused): the check
# audits refusals, never views (read_file audits a view once per user and file per VIEW_AUDIT_WINDOW)
AccessCheck = Callable[[Session, Actor, int], int | None]
VIEW_AUDIT_WINDOW = timedelta(minutes=10)  # a page of 5 thumbnails, reloaded: one audit row per file, not 5 per load
OwnersPresent = Callable[[Session, list[int]], set[int]]
_access: dict[str, AccessCheck] = {}
_owners_present: dict[str, OwnersPresent] = {}

__all__ = ['MAX_BYTES', 'MAX_FILES_PER_MESSAGE', 'MAX_PIXELS', 'FileRefused', 'StoredFileView', 'check_count',
           'check_upload', 'files_of', 'read_file', 'register_access', 'store', 'sweep_orphans']


@dataclass(frozen=True)
class StoredFileView:
    id: str  # random public id (URL-safe, 128 bits): the file is at /files/{id}
    name: str  # download name; its extension is the stored type's
    content_type: str  # application/pdf, image/jpeg or image/png
    size: int  # bytes
    inline: bool  # a picture, shown in the page; anything else is downloaded

    @property
    def url(self) -> str:
        return f'/files/{self.id}'


def _view(row: StoredFile) -> StoredFileView:
    return StoredFileView(id=row.public_id, name=row.name, content_type=row.content_type, size=row.size,
                          inline=row.content_type in ('image/jpeg', 'image/png'))


def register_access(owner_kind: str, check: AccessCheck, *, owners_present: OwnersPresent | None = None) -> None:
    """Who may see files of `owner_kind`: `check(session, actor, owner_id)` is True for those who may
    (it may also raise a NotFound of its own, audited by itself). `owners_present(session, ids)` gives
    the ids that still exist; without it the sweep keeps that kind's rows. Call it at import time of
    the owner's service module; re-registering replaces the check."""
    _access[owner_kind] = check
    if owners_present is not None:
        _owners_present[owner_kind] = owners_present


def check_count(count: int) -> None:
    """FileRefused when one message would carry more than MAX_FILES_PER_MESSAGE files."""
    if count > MAX_FILES_PER_MESSAGE:
        raise FileRefused(f'A message can carry at most {MAX_FILES_PER_MESSAGE} files. Remove one to add another.',
                          field_errors={'files': 'Too many files.'})


def check_upload(name: str, data: bytes) -> None:
    """FileRefused if this upload would be refused by store(); nothing is written anywhere."""
    prepare(name, data)


def store(session: Session, /, *, owner_kind: str, owner_id: int, name: str, data: bytes,
          uploaded_by: int | None) -> StoredFileView:
    """Keep one uploaded file for its owner, in the caller's write session (see the module docstring)."""
    prepared = prepare(name, data)
    existing = session.exec(select(func.count()).select_from(StoredFile).where(
        StoredFile.owner_kind == owner_kind, StoredFile.owner_id == owner_id)).one()
    check_count(existing + 1)
    row = StoredFile(public_id=secrets.token_urlsafe(16), storage_key=secrets.token_hex(16), owner_kind=owner_kind,
                     owner_id=owner_id, name=prepared.name, content_type=prepared.content_type,
                     size=len(prepared.data), sha256=prepared.sha256, uploaded_by_user_id=uploaded_by)
    file_disk.write_later(session, row.storage_key, prepared.data)  # before the flush: a failed flush removes it
    session.add(row)
    session.flush()
    if prepared.active_content:
        log.info('stored a PDF with script or automatic actions (served only as a download)')
    return _view(row)


def files_of(session: Session, /, *, owner_kind: str, owner_ids: Iterable[int]) -> dict[int, list[StoredFileView]]:
    """owner id -> its files in upload order (owners without files are left out). No access check:
    the caller has checked access to the owners."""
    ids = sorted(set(owner_ids))
    found: dict[int, list[StoredFileView]] = {}
    for start in range(0, len(ids), _BATCH):
        rows = session.exec(select(StoredFile).where(
            StoredFile.owner_kind == owner_kind, col(StoredFile.owner_id).in_(ids[start:start + _BATCH]))
            .order_by(StoredFile.id)).all()
        for row in rows:
            found.setdefault(row.owner_id, []).append(_view(row))
    return found


def _refuse(session: Session, actor: Actor, file_id: str) -> Refused:
    event = audit.record(session, action='view_file', actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type='file', entity_id=file_id[:40], outcome='denied', source_ip=actor.ip)
    return Refused(event)


def read_file(session: Session, /, *, actor: Actor, file_id: str) -> tuple[StoredFileView, bytes]:
    """The file and its bytes for someone the owner's access check lets see it; otherwise Refused
    (a NotFound), audited once. Blocking (database and disk): call it through run.io_bound."""
    row = session.exec(select(StoredFile).where(StoredFile.public_id == file_id)).first() \
        if 0 < len(file_id) <= 32 else None
    check = _access.get(row.owner_kind) if row is not None else None
    if row is None or check is None:
        raise _refuse(session, actor, file_id)
    try:
        account_id = check(session, actor, row.owner_id)
    except Refused:
        raise  # the check audited its own refusal
    except NotFound:
        account_id = None
    if account_id is None:
        raise _refuse(session, actor, file_id)
    try:
        data = file_disk.object_path(row.storage_key).read_bytes()
    except FileNotFoundError:
        log.error('stored file %s has a row but no bytes on disk', row.id)
        raise NotFound from None
    _audit_view(session, actor, row, account_id)
    return _view(row), data


def _audit_view(session: Session, actor: Actor, row: StoredFile, account_id: int) -> None:
    """Staff and proxies viewing a person's file are audited (as `require_account` audits views), once per
    user and file per VIEW_AUDIT_WINDOW: the browser fetches a thumbnail on every page load. A patient's own
    account's file is not audited (nor one whose owner's check vouched for the actor without an account)."""
    if not actor.is_staff and account_relationships(session, actor.user_id).get(account_id) in (None, 'self'):
        return
    since = utcnow() - VIEW_AUDIT_WINDOW
    seen = session.exec(select(AuditEvent.id).where(
        AuditEvent.actor_user_id == actor.user_id, AuditEvent.at > since, AuditEvent.action == 'view_file',
        AuditEvent.entity_type == 'file', AuditEvent.entity_id == row.public_id, AuditEvent.outcome == 'ok')
        .limit(1)).first()
    if seen is None:
        audit.record(session, action='view_file', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='file', entity_id=row.public_id, account_id=account_id, source_ip=actor.ip,
                     detail=f'owner={row.owner_kind}')


def sweep_orphans(session: Session, /, *, older_than: timedelta = ORPHAN_AGE) -> int:
    """Housekeeping, in a write session: delete rows whose owner is gone (their files go after the
    commit), files on disk older than `older_than` without a row, and uploads never committed.
    Returns how many files and rows it removed."""
    gone = _rows_without_owner(session)  # their files go after the commit: not counted twice below
    removed = len(gone)
    cutoff = (utcnow() - older_than).timestamp()
    incoming = file_disk.incoming_dir()
    for path in incoming.glob('*.part') if incoming.is_dir() else ():
        removed += _unlink_if_older(path, cutoff)
    candidates = {path.name: path for path in (file_disk.root() / 'objects').glob('*/*') if path.is_file()}
    keys = sorted(candidates)
    for start in range(0, len(keys), _BATCH):
        batch = keys[start:start + _BATCH]
        known = set(session.exec(select(StoredFile.storage_key).where(col(StoredFile.storage_key).in_(batch))).all())
        for key in batch:
            if key not in known and key not in gone:
                removed += _unlink_if_older(candidates[key], cutoff)
    return removed


def _unlink_if_older(path: os.PathLike[str], cutoff: float) -> int:
    try:
        if os.stat(path).st_mtime >= cutoff:  # may be an upload another process is committing right now
            return 0
        os.unlink(path)
    except FileNotFoundError:
        return 0
    return 1


def _rows_without_owner(session: Session) -> set[str]:
    """Delete the rows of owners that are gone; the storage keys of their files."""
    removed: set[str] = set()
    for kind, present in list(_owners_present.items()):
        owner_ids = sorted(set(session.exec(select(StoredFile.owner_id).where(StoredFile.owner_kind == kind)).all()))
        for start in range(0, len(owner_ids), _BATCH):
            batch = owner_ids[start:start + _BATCH]
            gone = set(batch) - present(session, batch)
            if not gone:
                continue
            rows = session.exec(select(StoredFile.id, StoredFile.storage_key).where(
                StoredFile.owner_kind == kind, col(StoredFile.owner_id).in_(gone))).all()
            session.execute(delete(StoredFile).where(col(StoredFile.id).in_([row_id for row_id, _key in rows])))
            for _row_id, key in rows:
                file_disk.remove_later(session, key)
            removed.update(key for _row_id, key in rows)
    return removed

