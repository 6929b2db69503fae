"""A file the person chose but the portal refused never lets a message go out as if it carried it: Send says
which file could not be attached and stores nothing until the refused file is removed from the list; then the
message goes, without it. One rule in the attachment picker, so the new message, a reply, "Ask about this
charge" and the staff reply all follow it."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session
from portal.models import Message, MessageThread, StoredFile
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.pages.test_messages_wiring import (  # noqa: F401 (file_dir: autouse)
    _choose,
    _counts,
    _eventually,
    _new_message,
    _patient_thread,
    _text,
    file_dir,
)
from tests.support import uploads

NOT_SENT = 'could not be attached, so the message was not sent'


async def _held_until_removed(user: User, name: str, submit: str) -> None:
    """Send (marker `submit`) while the refused file `name` is listed: told, nothing stored; then remove it
    and send again."""
    before = _counts()
    user.find(marker=submit).click()
    await user.should_see(f'"{name}" {NOT_SENT}')
    assert _counts() == before
    user.find(marker='remove-refused-0').click()
    user.find(marker=submit).click()


async def test_a_new_message_with_a_refused_file_is_not_sent_until_the_file_is_removed(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    before = _counts()
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    await _choose(user, 'evil.jpg', uploads.executable(), expect='is not a PDF, JPEG, PNG or HEIC file')
    await user.should_see('evil.jpg: not attached')
    _new_message(user, 'My bill is attached.')
    user.find(marker='submit').click()
    await user.should_see(f'"evil.jpg" {NOT_SENT}')
    assert _counts() == before
    user.find(marker='submit').click()  # pressing again changes nothing
    await user.should_see(f'"evil.jpg" {NOT_SENT}')
    assert _counts() == before

    user.find(marker='remove-refused-0').click()
    await user.should_not_see('evil.jpg: not attached')
    await user.should_not_see('is not a PDF, JPEG, PNG or HEIC file')
    user.find(marker='submit').click()
    await user.should_see('Expected reply by')
    assert _counts() == (before[0] + 1, before[1] + 1, before[2])


async def test_a_reply_with_an_empty_file_is_held_and_a_good_file_goes_once_the_empty_one_is_removed(
        user: User) -> None:
    thread_id, _ = _patient_thread()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/messages/{thread_id}')
    await user.should_see('Mark as resolved')
    before = _counts()
    await _choose(user, 'empty.png', b'', expect='is empty')
    await _choose(user, 'receipt.png', uploads.png(), expect='receipt.png (')
    user.find(marker='reply-body').type('Here is my receipt.')
    await _held_until_removed(user, 'empty.png', 'reply-submit')
    await user.should_see(marker='attachment-picture')
    assert _counts() == (before[0], before[1] + 1, before[2] + 1)
    with read_session() as session:
        message = session.exec(select(Message).where(Message.body == 'Here is my receipt.')).one()
        names = session.exec(select(StoredFile.name).where(StoredFile.owner_id == message.id,
                                                           StoredFile.owner_kind == 'message')).all()
    assert names == ['receipt.png']


async def test_asking_about_a_charge_with_a_refused_file_is_held(user: User) -> None:
    from tests.pages.test_statements import _ask_about_the_first_charge
    _, charge_id = await _ask_about_the_first_charge(user)
    await user.should_see('Your question')
    await _choose(user, 'eob.jpg', uploads.executable(), expect='is not a PDF, JPEG, PNG or HEIC file')
    user.find(marker='question-body').type('See the EOB.')
    await _held_until_removed(user, 'eob.jpg', 'question-submit')
    await user.should_see('Back to the statement')
    with read_session() as session:
        assert session.exec(select(MessageThread).where(MessageThread.charge_id == charge_id)).one()


async def test_a_staff_reply_with_a_refused_file_is_held(user: User) -> None:
    thread_id, _ = _patient_thread()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/messages/{thread_id}')
    await user.should_see('Reply to the patient')
    before = _counts()
    await _choose(user, 'letter.pdf', b'', expect='is empty')
    user.find(marker='reply-body').type('See the letter.')
    await _held_until_removed(user, 'letter.pdf', 'reply-submit')
    await _eventually(lambda: 'See the letter.' in _text(user, 'messages'))
    assert _counts() == (before[0], before[1] + 1, before[2])
