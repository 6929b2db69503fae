"""Message attachments through the file service (issue 14), on SQLite and PostgreSQL: up to five files
stored with the message in one write session; any refused file (too many, an executable named .jpg, an
empty file) or refused body posts nothing and keeps no file; who may open a message's file (`/files`):
staff any, a patient those of their accounts' threads, never an internal note's; thread views list them."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import Message, MessageThread, StoredFile
from portal.services import files
from portal.services.messaging import attachments, compose, staff_threads, threads
from tests.factories import make_account, make_user
from tests.support import uploads


@pytest.fixture
def file_dir(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / 'files'
    monkeypatch.setenv('PORTAL_FILE_DIR', str(directory))
    reload_settings()
    yield directory


def _patient() -> tuple[Actor, int]:
    account, _ = make_account()
    return Actor(make_user(account=account).id, 'patient'), int(account.id)


def _counts() -> tuple[int, int, int]:
    with read_session() as session:
        return tuple(session.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                     for model in (MessageThread, Message, StoredFile))


def _on_disk(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob('*') if path.is_file())


def _start(actor: Actor, account_id: int, uploads_: list[tuple[str, bytes]], body: str = 'See the bill.') -> int:
    with write_session() as session:
        return compose.start_thread(session, actor=actor, account_id=account_id, category='billing_question',
                                    subject='My bill', body=body, files=uploads_)


def test_files_are_stored_with_the_message_and_listed_in_both_views(file_dir: Path) -> None:
    patient, account_id = _patient()
    thread_id = _start(patient, account_id, [('bill.pdf', uploads.pdf()), ('IMG_1.HEIC', uploads.heic_with_gps())])
    staff = Actor(make_user(role='staff').id, 'staff')
    with write_session() as session:
        reply_id = staff_threads.reply(session, actor=staff, thread_id=thread_id, body='Here is the receipt.',
                                       files=[('receipt.png', uploads.png())])
    with write_session() as session:
        mine = compose.open_thread(session, actor=patient, thread_id=thread_id)
        theirs = staff_threads.open_thread(session, actor=staff, thread_id=thread_id, opening=False)
    assert [[(f.name, f.content_type, f.inline) for f in m.files] for m in mine.messages] == [
        [('bill.pdf', 'application/pdf', False), ('IMG_1.jpg', 'image/jpeg', True)],
        [('receipt.png', 'image/png', True)]]
    assert [[f.id for f in m.files] for m in theirs.messages] == [[f.id for f in m.files] for m in mine.messages]
    with read_session() as session:
        owners = {row.owner_id for row in session.exec(select(StoredFile)).all()}
        assert owners == {mine.messages[0].id, reply_id}
        assert {row.owner_kind for row in session.exec(select(StoredFile)).all()} == {'message'}
    assert len(_on_disk(file_dir)) == 3


BAD = [
    ([('photo.jpg', uploads.executable())], 'is not a PDF, JPEG, PNG or HEIC file'),
    ([('empty.png', b'')], 'is empty'),
    ([(f'page{number}.png', uploads.png()) for number in range(6)], 'at most 5 files'),
    ([('ok.png', uploads.png()), ('photo.jpg', uploads.executable())], 'is not a PDF, JPEG, PNG or HEIC file'),
]


@pytest.mark.parametrize(('chosen', 'words'), BAD, ids=['exe-as-jpg', 'zero-bytes', 'six-files', 'second-bad'])
def test_a_refused_file_posts_nothing_and_keeps_nothing(file_dir: Path, chosen: list[tuple[str, bytes]],
                                                        words: str) -> None:
    patient, account_id = _patient()
    thread_id = _start(patient, account_id, [])
    before = _counts()
    with pytest.raises(ValidationFailed, match=words), write_session() as session:
        compose.start_thread(session, actor=patient, account_id=account_id, category='other', subject='Hello',
                             body='Files attached.', files=chosen)
    with pytest.raises(ValidationFailed, match=words), write_session() as session:
        compose.reply(session, actor=patient, thread_id=thread_id, body='Files attached.', files=chosen)
    staff = Actor(make_user(role='staff').id, 'staff')
    with pytest.raises(ValidationFailed, match=words), write_session() as session:
        staff_threads.reply(session, actor=staff, thread_id=thread_id, body='Files attached.', files=chosen)
    assert _counts() == before and _on_disk(file_dir) == []


def test_a_refused_body_keeps_a_good_file_too(file_dir: Path) -> None:
    patient, account_id = _patient()
    before = _counts()
    for body in ('', 'x' * 5001, 'nul\x00here'):
        with pytest.raises(ValidationFailed), write_session() as session:
            compose.start_thread(session, actor=patient, account_id=account_id, category='other', subject='Hi',
                                 body=body, files=[('ok.png', uploads.png())])
    assert _counts() == before and _on_disk(file_dir) == []


def test_a_retried_send_stores_its_files_once(file_dir: Path) -> None:
    patient, account_id = _patient()
    thread_id = _start(patient, account_id, [])
    for _ in range(2):
        with write_session() as session:
            compose.reply(session, actor=patient, thread_id=thread_id, body='Again', idempotency_key='k' * 32,
                          files=[('ok.png', uploads.png())])
    assert _counts()[1:] == (2, 1)


def _may_open(actor: Actor, file_id: str) -> bool:
    try:
        with write_session() as session:
            files.read_file(session, actor=actor, file_id=file_id)
    except NotFound:
        return False
    return True


def test_who_may_open_a_messages_file(file_dir: Path) -> None:
    patient, account_id = _patient()
    thread_id = _start(patient, account_id, [('bill.pdf', uploads.pdf())])
    staff = Actor(make_user(role='staff').id, 'staff')
    with write_session() as session:  # an internal note with a file (only through the service)
        thread = session.get(MessageThread, thread_id)
        note, _ = threads.post(session, thread, actor=staff, body='Payer letter', key=None, internal_note=True,
                               files=[('letter.pdf', uploads.pdf())])
        note_files = attachments.of_messages(session, [int(note.id)])[int(note.id)]
    with read_session() as session:
        first = session.exec(select(Message).where(Message.thread_id == thread_id).order_by(Message.id)).first()
        patient_files = attachments.of_messages(session, [int(first.id)])[int(first.id)]
    stranger, _ = _patient()
    household = make_user(account=account_id, relationship='spouse')
    assert _may_open(patient, patient_files[0].id) and _may_open(staff, patient_files[0].id)
    assert _may_open(Actor(household.id, 'patient'), patient_files[0].id)
    assert not _may_open(stranger, patient_files[0].id)
    assert _may_open(staff, note_files[0].id) and not _may_open(patient, note_files[0].id)


def test_housekeeping_drops_the_files_of_a_message_that_is_gone(file_dir: Path) -> None:
    from portal.jobs import housekeeping
    patient, account_id = _patient()
    kept = _start(patient, account_id, [('kept.png', uploads.png())])
    gone = _start(patient, account_id, [('gone.png', uploads.png())])
    with write_session() as session:  # a message removed by hand (nothing in Settle deletes messages)
        for message in session.exec(select(Message).where(Message.thread_id == gone)).all():
            session.delete(message)
    assert kept and housekeeping.run() >= 1
    with read_session() as session:
        assert [row.name for row in session.exec(select(StoredFile)).all()] == ['kept.png']
