"""/files/{id}: served to whom the owner's check allows, sandboxed and never sniffed; pictures inline,
PDFs downloaded; anyone else gets the 404 page, audited once. The picker and the attachment list."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session, write_session
from portal.models import AuditEvent
from portal.models import User as UserRow
from portal.services import files
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support import uploads

KIND = 'test-owner'  # owner id = the user id of the one who may see the file


@pytest.fixture
def owner_kind() -> Iterator[None]:
    files.register_access(KIND, lambda _session, actor, owner_id: owner_id if actor.user_id == owner_id else None)
    yield
    files._access.pop(KIND, None)


def _user_id(email: str) -> int:
    with read_session() as session:
        return session.exec(select(UserRow.id).where(UserRow.email == email)).one()


def _store(owner_id: int, name: str, data: bytes) -> files.StoredFileView:
    with write_session() as session:
        return files.store(session, owner_kind=KIND, owner_id=owner_id, name=name, data=data, uploaded_by=owner_id)


async def test_the_owner_gets_pictures_inline_and_pdfs_as_downloads(owner_kind: None, user: User) -> None:
    patient = _user_id(DEMO_PATIENT)
    picture = _store(patient, 'IMG_1.HEIC', uploads.heic_with_gps())
    pdf = _store(patient, 'bill "May".pdf', uploads.pdf(script=True))
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')

    response = await user.http_client.get(picture.url)
    assert response.status_code == 200 and response.content[:3] == b'\xff\xd8\xff'
    assert response.headers['content-type'] == 'image/jpeg'
    assert response.headers['content-security-policy'] == 'sandbox'
    assert response.headers['x-content-type-options'] == 'nosniff'
    assert response.headers['content-disposition'] == "inline; filename*=UTF-8''IMG_1.jpg"
    assert response.headers['cache-control'] == 'private, no-store'

    response = await user.http_client.get(pdf.url)
    assert response.status_code == 200 and response.content == uploads.pdf(script=True)
    assert response.headers['content-type'] == 'application/pdf'
    assert response.headers['content-security-policy'] == 'sandbox'
    assert response.headers['content-disposition'] == "attachment; filename*=UTF-8''bill%20%22May%22.pdf"


def _denied() -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent).where(AuditEvent.action == 'view_file',
                                                          AuditEvent.outcome == 'denied')).all())


async def test_another_users_file_is_not_found_and_audited_once(owner_kind: None, user: User) -> None:
    picture = _store(_user_id(DEMO_PATIENT), 'card.png', uploads.png())
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    response = await user.http_client.get(picture.url, follow_redirects=False)
    assert response.status_code == 404 and 'Page not found' in response.text
    assert uploads.png()[:8] not in response.content
    assert [(event.actor_user_id, event.entity_id) for event in _denied()] == [(_user_id(DEMO_STAFF), picture.id)]
    assert (await user.http_client.get('/files/made-up-id')).status_code == 404
    assert len(_denied()) == 2


async def test_signed_out_visitors_are_sent_to_sign_in(owner_kind: None, user: User) -> None:
    picture = _store(_user_id(DEMO_PATIENT), 'card.png', uploads.png())
    response = await user.http_client.get(picture.url, follow_redirects=False)
    assert response.status_code in (302, 303, 307) and response.headers['location'].startswith('/?next=')
    assert _denied() == []


class _Upload:
    def __init__(self, name: str, data: bytes) -> None:
        self.name, self._data = name, data

    async def read(self) -> bytes:
        return self._data


class _Event:
    def __init__(self, name: str, data: bytes) -> None:
        self.file = _Upload(name, data)


async def test_the_picker_keeps_up_to_five_good_files_and_says_why_it_refuses_others() -> None:
    from nicegui import Client, ui

    from components.uploads import AttachmentPicker
    with Client(ui.page('')):
        picker = AttachmentPicker()
    assert picker.upload.props['multiple'] is True and picker.upload.props['max-files'] == 5
    await picker._received(_Event('photo.jpg', uploads.executable()))
    assert picker.files == [] and 'is not a PDF, JPEG, PNG or HEIC file' in picker.error.text
    for number in range(5):
        await picker._received(_Event(f'page{number}.png', uploads.png()))
    assert len(picker.files) == 5 and picker.error.text.count('\n') == 0  # the one refusal, still told
    await picker._received(_Event('page6.png', uploads.png()))
    await picker._received(_Event('page7.png', uploads.png()))
    assert len(picker.files) == 5 and picker.error.text.splitlines()[1:] == [
        'A message can carry at most 5 files. Remove one to add another.']
    picker._tell('')
    assert picker.error.text == ''
    picker.remove(0)
    assert [name for name, _ in picker.files] == [f'page{number}.png' for number in range(1, 5)]
    picker.clear()
    assert picker.files == []


def test_the_attachment_list_shows_pictures_as_thumbnails_and_others_as_download_links() -> None:
    from nicegui import Client, ui

    from components.uploads import attachment_list
    picture = files.StoredFileView(id='p1', name='card.jpg', content_type='image/jpeg', size=2048, inline=True)
    pdf = files.StoredFileView(id='d1', name='bill.pdf', content_type='application/pdf', size=3 * 1024 * 1024,
                               inline=False)
    with Client(ui.page('')):
        assert attachment_list([]) is None
        row = attachment_list([picture, pdf])
    images = [element for element in row.descendants() if isinstance(element, ui.image)]
    links = [element for element in row.descendants() if isinstance(element, ui.link)]
    assert [image.source for image in images] == ['/files/p1'] and images[0].props['alt'] == 'card.jpg'
    assert [(link.props['href'], link.text) for link in links] == [('/files/p1', ''),
                                                                   ('/files/d1', 'bill.pdf (3.0 MB)')]
    assert 'download' in links[1].props


async def test_the_picker_says_when_a_choice_goes_past_five_files_and_keeps_saying_it_while_they_arrive() -> None:
    from nicegui import Client, ui

    from components.uploads import AttachmentPicker
    with Client(ui.page('')):
        picker = AttachmentPicker()
    # the browser refuses the 6th of six files chosen together, then announces the five it kept
    picker._rejected([{'failedPropValidation': 'max-files', 'file': {}}])
    picker._added()
    for number in range(5):
        await picker._received(_Event(f'page{number}.png', uploads.png()))
    assert len(picker.files) == 5
    assert picker.error.text == 'You can attach at most 5 files to a message: 1 of the files you chose was not added.'
    picker._added()  # the next choice, with nothing refused, forgets it
    assert picker.error.text == ''
    picker._rejected([{'failedPropValidation': 'max-file-size'}, {'failedPropValidation': 'max-files'},
                      {'failedPropValidation': 'max-files'}])
    assert picker.error.text.splitlines() == [
        'You can attach at most 5 files to a message: 2 of the files you chose were not added.',
        'That file is too large. Choose one of at most 10 MB.']


async def test_a_file_the_browser_refused_holds_the_message_until_it_is_removed() -> None:
    from nicegui import Client, ui

    from components.uploads import AttachmentPicker
    with Client(ui.page('')):
        picker = AttachmentPicker()
    picker._rejected([{'failedPropValidation': 'max-file-size', 'file': {}}])  # refused before it was sent
    await picker._received(_Event('card.png', uploads.png()))
    with pytest.raises(files.FileRefused, match='A file you chose could not be attached'):
        picker.files_to_send()
    picker.remove_refused(0)
    assert [name for name, _ in picker.files_to_send()] == ['card.png'] and picker.error.text == ''
