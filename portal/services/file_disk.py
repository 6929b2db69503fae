"""The file directory (PORTAL_FILE_DIR), tied to database transactions.

Layout: `incoming/<random>.part` (bytes being stored) and `objects/<2 chars>/<storage key>` (kept
files). Several processes share the directory; every write goes to a new random name, is fsynced,
and reaches its final name by an atomic rename, so a reader never sees half a file.

A file follows the transaction that stores its row: `write_later(session, ...)` writes the bytes to
`incoming/` at once and renames them into `objects/` when the session commits; if the transaction
rolls back (or the session closes without committing) the bytes are removed. `remove_later` removes
kept files once the transaction that deleted their rows has committed. A crash between the steps
leaves only files without rows, which the orphan sweep (`portal.services.files.sweep_orphans`)
removes an hour later.
"""
from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from portal.config import get_settings

log = logging.getLogger(__name__)
_PENDING = 'portal.file_disk.pending'


def root() -> Path:
    return Path(get_settings().file_dir).resolve()


def object_path(storage_key: str) -> Path:
    return root() / 'objects' / storage_key[:2] / storage_key


def incoming_dir() -> Path:
    return root() / 'incoming'


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_new(data: bytes) -> Path:
    directory = incoming_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f'{secrets.token_hex(16)}.part'
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    try:
        with os.fdopen(fd, 'wb', closefd=False) as handle:
            handle.write(data)
            handle.flush()
            os.fsync(fd)
    finally:
        os.close(fd)
    return path


@dataclass
class _Pending:
    removals: list[Path] = field(default_factory=list)  # kept files whose rows this transaction deletes
    incoming: list[tuple[Path, Path]] = field(default_factory=list)  # (temp, final) written by it
    published: list[Path] = field(default_factory=list)  # finals renamed into place, not yet committed


def _pending(session: Session) -> _Pending:
    return session.info.setdefault(_PENDING, _Pending())


def write_later(session: Session, /, storage_key: str, data: bytes) -> None:
    """Write `data` now under a temporary name; it becomes `object_path(storage_key)` when the
    session's transaction commits and disappears if it does not."""
    pending = _pending(session)
    pending.incoming.append((_write_new(data), object_path(storage_key)))


def remove_later(session: Session, /, storage_key: str) -> None:
    """Remove the kept file once the session's transaction (which deletes its row) has committed."""
    _pending(session).removals.append(object_path(storage_key))


@event.listens_for(Session, 'before_commit')
def _publish(session: Session) -> None:
    """Rename before the database commits: a crash in between leaves a file without a row (swept),
    never a row without its file."""
    pending = session.info.get(_PENDING)
    if pending is None:
        return
    directories = set()
    while pending.incoming:
        temp, final = pending.incoming.pop()
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)
        pending.published.append(final)
        directories.add(final.parent)
    for directory in directories:
        _fsync_dir(directory)


@event.listens_for(Session, 'after_commit')
def _committed(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction may still roll back
        return
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    for path in pending.removals:
        path.unlink(missing_ok=True)


@event.listens_for(Session, 'after_transaction_end')
def _ended(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (after_commit clears the list first)."""
    if transaction.parent is not None:
        return
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    for path in [temp for temp, _final in pending.incoming] + pending.published:
        try:
            path.unlink(missing_ok=True)
        except OSError:  # the sweep removes it later
            log.warning('could not remove a file of a rolled-back upload')
