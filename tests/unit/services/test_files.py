"""The file service on SQLite and PostgreSQL: every bad upload refused with a message and nothing
stored; pictures re-encoded without metadata (HEIC as JPEG); bytes kept only when the transaction
commits; access through the owner's registered check (anyone else: NotFound, audited once); the
orphan sweep."""
from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import AuditEvent, StoredFile
from portal.services import file_disk, files
from tests.factories import make_user
from tests.support import uploads

KIND = 'test-owner'  # a test-only owner kind: the owner id is the user id of the one who may see it
PRESENT: set[int] = set()  # the owners of KIND that still exist, for the sweep


@pytest.fixture
def file_dir(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    directory = tmp_path / 'files'
    monkeypatch.setenv('PORTAL_FILE_DIR', str(directory))
    reload_settings()
    PRESENT.clear()
    files.register_access(KIND, lambda _session, actor, owner_id: owner_id if actor.user_id == owner_id else None,
                          owners_present=lambda _session, ids: set(ids) & PRESENT)
    yield directory
    files._access.pop(KIND, None)
    files._owners_present.pop(KIND, None)


def on_disk(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob('*') if path.is_file())


def rows() -> list[StoredFile]:
    with read_session() as session:
        return list(session.exec(select(StoredFile).order_by(StoredFile.id)).all())


def store(owner_id: int, name: str, data: bytes, uploaded_by: int | None = None) -> files.StoredFileView:
    with write_session() as session:
        return files.store(session, owner_kind=KIND, owner_id=owner_id, name=name, data=data, uploaded_by=uploaded_by)


BAD_UPLOADS = [
    ('photo.jpg', uploads.executable(), 'is not a PDF, JPEG, PNG or HEIC file'),
    ('empty.png', b'', 'is empty'),
    ('photo.jpg', uploads.jpeg_with_gps() + b'\0' * (30 * 1024 * 1024), 'is too large (30.0 MB)'),
    ('huge.png', uploads.png_bomb(), 'too large a picture'),
    ('nearly.png', uploads.png_bomb(7000, 7000), 'too large a picture (7,000 × 7,000 pixels)'),
    ('scan\0.pdf', uploads.pdf(), 'characters we cannot accept'),
    ('\u202egpj.exe', uploads.png(), 'characters we cannot accept'),
    ('broken.jpg', uploads.jpeg_with_gps()[:200], 'could not read the picture'),
]


@pytest.mark.parametrize(('name', 'data', 'message'), BAD_UPLOADS,
                         ids=['exe-as-jpg', 'zero-bytes', '30-mb', '20000x20000', '49-mp', 'nul', 'bidi', 'damaged'])
def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_stored(file_dir: Path, name: str, data: bytes,
                                                                     message: str) -> None:
    with pytest.raises(files.FileRefused) as refused:
        files.check_upload(name, data)
    assert message in refused.value.message
    with pytest.raises(files.FileRefused), write_session() as session:
        files.store(session, owner_kind=KIND, owner_id=1, name=name, data=data, uploaded_by=None)
    assert rows() == [] and on_disk(file_dir) == []


def test_a_pixel_bomb_is_refused_from_its_header_without_decoding(file_dir: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(files.FileRefused):
        files.check_upload('huge.png', uploads.png_bomb())
    assert time.perf_counter() - started < 0.5  # decoding 400 megapixels would take seconds and 400 MB


def test_more_than_five_files_for_one_message_are_refused(file_dir: Path) -> None:
    with pytest.raises(files.FileRefused, match='at most 5 files'):
        files.check_count(6)
    files.check_count(5)
    for number in range(5):
        store(7, f'page {number}.png', uploads.png())
    with pytest.raises(files.FileRefused, match='at most 5 files'):
        store(7, 'page 6.png', uploads.png())
    assert len(rows()) == 5 and len(on_disk(file_dir)) == 5


def test_gps_and_camera_are_in_the_photo_before_and_gone_after(file_dir: Path) -> None:
    original = uploads.jpeg_with_gps()
    before = Image.open(io.BytesIO(original))
    assert before.getexif().get_ifd(uploads.GPS_IFD) and before.getexif()[uploads.MAKE] == 'PhoneMaker'
    view = store(7, 'holiday.jpeg', original)
    (row,) = rows()
    kept = file_disk.object_path(row.storage_key).read_bytes()
    after = Image.open(io.BytesIO(kept))
    assert dict(after.getexif()) == {} and 'exif' not in after.info and 'comment' not in after.info
    assert b'PhoneMaker' not in kept and b'GPS' not in kept and b'holiday snap' not in kept
    assert after.size == before.size
    assert (view.content_type, view.name, view.inline) == ('image/jpeg', 'holiday.jpg', True)


def test_heic_from_a_phone_becomes_a_jpeg_without_its_metadata(file_dir: Path) -> None:
    view = store(7, 'IMG_0042.HEIC', uploads.heic_with_gps())
    (row,) = rows()
    kept = file_disk.object_path(row.storage_key).read_bytes()
    assert kept[:3] == b'\xff\xd8\xff'
    assert (view.name, view.content_type, view.inline) == ('IMG_0042.jpg', 'image/jpeg', True)
    picture = Image.open(io.BytesIO(kept))
    assert picture.format == 'JPEG' and picture.size == (64, 48) and dict(picture.getexif()) == {}
    assert b'Apple' not in kept


def test_a_pdf_with_javascript_is_stored_as_it_is_and_never_shown_inline(file_dir: Path) -> None:
    data = uploads.pdf(script=True)
    view = store(7, 'bill.pdf', data)
    (row,) = rows()
    assert file_disk.object_path(row.storage_key).read_bytes() == data
    assert (view.content_type, view.inline, view.size) == ('application/pdf', False, len(data))


def test_a_stored_file_is_in_place_with_its_row_after_the_commit(file_dir: Path) -> None:
    uploader = make_user()
    view = store(7, 'card.png', uploads.png(), uploaded_by=uploader.id)
    (row,) = rows()
    assert len(view.id) >= 22 and view.id == row.public_id != row.storage_key  # 128 random bits each
    assert (row.owner_kind, row.owner_id, row.uploaded_by_user_id) == (KIND, 7, uploader.id)
    path = file_disk.object_path(row.storage_key)
    assert on_disk(file_dir) == [path] and row.size == path.stat().st_size
    import hashlib
    assert row.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_failed_transaction_leaves_no_row_and_no_file(file_dir: Path) -> None:
    with pytest.raises(RuntimeError), write_session() as session:
        files.store(session, owner_kind=KIND, owner_id=7, name='a.png', data=uploads.png(), uploaded_by=None)
        files.store(session, owner_kind=KIND, owner_id=7, name='b.pdf', data=uploads.pdf(), uploaded_by=None)
        assert len(on_disk(file_dir)) == 2  # written under temporary names while the transaction is open
        raise RuntimeError('the message could not be saved')
    assert rows() == [] and on_disk(file_dir) == []


def test_a_refused_second_file_takes_the_first_with_it(file_dir: Path) -> None:
    with pytest.raises(files.FileRefused), write_session() as session:
        files.store(session, owner_kind=KIND, owner_id=7, name='a.png', data=uploads.png(), uploaded_by=None)
        files.store(session, owner_kind=KIND, owner_id=7, name='b.jpg', data=uploads.executable(), uploaded_by=None)
    assert rows() == [] and on_disk(file_dir) == []


def test_files_of_several_owners_at_once(file_dir: Path) -> None:
    first = store(1, 'a.png', uploads.png())
    second = store(1, 'b.pdf', uploads.pdf())
    third = store(2, 'c.png', uploads.png())
    with read_session() as session:
        found = files.files_of(session, owner_kind=KIND, owner_ids=[1, 2, 3])
        assert files.files_of(session, owner_kind='other', owner_ids=[1]) == {}
    assert found == {1: [first, second], 2: [third]}


def _denied_views() -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == 'view_file')).all())


def test_the_owner_check_decides_who_reads_a_file_and_refusals_are_audited_once(file_dir: Path) -> None:
    owner, stranger = make_user(), make_user()
    view = store(owner.id, 'a.png', uploads.png())
    with write_session() as session:
        got, data = files.read_file(session, actor=Actor(owner.id, 'patient'), file_id=view.id)
    assert got == view and data == file_disk.object_path(rows()[0].storage_key).read_bytes()
    assert _denied_views() == []
    for file_id in (view.id, 'no-such-file', 'x' * 500):
        with pytest.raises(NotFound), write_session() as session:
            files.read_file(session, actor=Actor(stranger.id, 'patient', ip='203.0.113.5'), file_id=file_id)
    events = _denied_views()
    assert [(event.actor_user_id, event.outcome, event.entity_type, event.source_ip) for event in events] == \
        [(stranger.id, 'denied', 'file', '203.0.113.5')] * 3
    assert events[0].entity_id == view.id


def test_an_owner_kind_nobody_registered_is_refused(file_dir: Path) -> None:
    owner = make_user()
    with write_session() as session:
        view = files.store(session, owner_kind='unregistered', owner_id=owner.id, name='a.png', data=uploads.png(),
                           uploaded_by=None)
    with pytest.raises(NotFound), write_session() as session:
        files.read_file(session, actor=Actor(owner.id, 'staff'), file_id=view.id)
    assert len(_denied_views()) == 1


def _age(path: Path, hours: float) -> None:
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def test_the_orphan_sweep(file_dir: Path) -> None:
    PRESENT.update({1, 2})
    kept = store(1, 'kept.png', uploads.png())
    gone_owner = store(2, 'owner-gone.pdf', uploads.pdf())
    kept_row, gone_row = rows()
    for row in (kept_row, gone_row):
        _age(file_disk.object_path(row.storage_key), 5)  # old files with rows stay
    old_orphan = file_disk.object_path('ab' + 'c' * 30)
    fresh_orphan = file_disk.object_path('cd' + 'e' * 30)  # another process may be committing it now
    for path in (old_orphan, fresh_orphan):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b'x')
    _age(old_orphan, 2)
    file_disk.incoming_dir().mkdir(parents=True, exist_ok=True)
    stale_upload = file_disk.incoming_dir() / 'dead.part'
    stale_upload.write_bytes(b'y')
    _age(stale_upload, 2)
    PRESENT.discard(2)  # owner 2 is gone

    with write_session() as session:
        assert files.sweep_orphans(session) == 3  # the stale upload, the old orphan, the row whose owner is gone
    assert [row.public_id for row in rows()] == [kept.id] and gone_owner.id != kept.id
    assert on_disk(file_dir) == sorted([file_disk.object_path(kept_row.storage_key), fresh_orphan])


def test_housekeeping_runs_the_orphan_sweep(file_dir: Path) -> None:
    from portal.jobs import housekeeping
    orphan = file_disk.object_path('ef' + '0' * 30)
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b'x')
    _age(orphan, 2)
    assert housekeeping.run() >= 1
    assert not orphan.exists()


def test_nothing_is_counted_twice_when_the_sweep_meets_a_missing_directory(file_dir: Path) -> None:
    with write_session() as session:
        assert files.sweep_orphans(session) == 0
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(StoredFile)).one() == 0
