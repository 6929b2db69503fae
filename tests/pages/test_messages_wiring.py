"""Messaging wired together on the pages (issue 14): attachments on the new-message, reply and staff reply
forms and in both thread pages; every bad input told in words with nothing stored; two people exchanging
messages live (the `user` fixture's second user), the patient's badge and home card following."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import func
from sqlmodel import select

from portal.config import reload_settings
from portal.db import read_session
from portal.models import AuditEvent, Message, MessageThread, StoredFile
from portal.models import User as UserRow
from portal.services.messaging import inbox
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support import uploads

LIVE_SECONDS = 3.0


@pytest.fixture(autouse=True)
def file_dir(page_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / 'files'
    monkeypatch.setenv('PORTAL_FILE_DIR', str(directory))
    reload_settings()
    return directory


def _counts() -> tuple[int, int, int]:
    with read_session() as session:
        return tuple(session.exec(select(func.count()).select_from(model)).one()  # type: ignore[return-value]
                     for model in (MessageThread, Message, StoredFile))


def _patient_thread() -> tuple[int, int]:
    """(thread id, account id) of the demo patient's newest thread."""
    with read_session() as session:
        patient = session.exec(select(UserRow.id).where(UserRow.email == DEMO_PATIENT)).one()
        from portal.auth.permissions import Actor
        row = inbox.inbox(session, actor=Actor(patient, 'patient')).rows[0]
        thread = session.get(MessageThread, row.id)
    return row.id, thread.account_id


async def _choose(user: User, name: str, data: bytes, *, expect: str) -> None:
    """Hand one file to the page's attachment picker, as the browser's upload would, and wait for `expect`."""
    upload = next(iter(user.find(kind=ui.upload, marker='attachments-picker').elements))
    await upload.handle_uploads([ui.upload.SmallFileUpload(name, 'application/octet-stream', data)])
    await user.should_see(expect)


def _new_message(user: User, body: str) -> None:
    next(iter(user.find(marker='category').elements)).value = 'billing_question'
    next(iter(user.find(marker='subject').elements)).value = 'A charge'
    next(iter(user.find(marker='body').elements)).value = body


async def test_a_new_message_with_files_shows_them_on_its_thread(user: User, file_dir: Path) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    await _choose(user, 'bill.pdf', uploads.pdf(), expect='bill.pdf')
    await _choose(user, 'card.png', uploads.png(), expect='card.png')
    _new_message(user, 'Why was I charged twice? Bill attached.')
    user.find(marker='submit').click()
    await user.should_see('Expected reply by')
    await user.should_see(marker='attachment-picture')
    await user.should_see(marker='attachment-download')
    with read_session() as session:
        stored = session.exec(select(StoredFile).where(StoredFile.owner_kind == 'message')
                              .order_by(StoredFile.id)).all()
        message = session.exec(select(Message).where(Message.body.startswith('Why was I charged twice'))).one()
    assert [(row.name, row.owner_kind, row.owner_id) for row in stored] == [
        ('bill.pdf', 'message', message.id), ('card.png', 'message', message.id)]
    response = await user.http_client.get(f'/files/{stored[1].public_id}')
    assert response.status_code == 200 and response.headers['content-type'] == 'image/png'


async def test_bad_input_on_the_new_message_page_is_told_and_nothing_is_stored(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    before = _counts()
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    for body, words in (('', 'Write your message'), ('x' * 5001, '5,000'), ('nul\x00here', 'hidden control')):
        _new_message(user, body)
        user.find(marker='submit').click()
        await user.should_see(words)
        assert _counts() == before, body[:10]
    await _choose(user, 'photo.jpg', uploads.executable(), expect='is not a PDF, JPEG, PNG or HEIC file')
    await _choose(user, 'empty.png', b'', expect='is empty')
    for number in range(6):
        await _choose(user, f'page{number}.png', uploads.png(), expect=f'page{min(number, 4)}.png')
    await user.should_see('A message can carry at most 5 files')
    await user.should_not_see('page5.png (')  # not waiting to be sent: listed as not attached
    await user.should_see('page5.png: not attached')
    assert _counts() == before


async def test_a_reply_with_a_refused_file_is_told_and_a_good_one_is_shown(user: User) -> None:
    thread_id, _ = _patient_thread()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/messages/{thread_id}')
    await user.should_see('Mark as resolved')
    before = _counts()
    await _choose(user, 'invoice.jpg', uploads.executable(), expect='is not a PDF, JPEG, PNG or HEIC file')
    user.find(marker='reply-submit').click()  # the refused file is still listed: nothing written
    await user.should_see('"invoice.jpg" could not be attached, so the message was not sent')
    assert _counts() == before
    user.find(marker='remove-refused-0').click()
    user.find(marker='reply-submit').click()  # nothing chosen, nothing written
    await user.should_see('Write your message')
    assert _counts() == before
    await _choose(user, 'receipt.png', uploads.png(), expect='receipt.png')
    user.find(marker='reply-body').type('Here is my receipt.')
    user.find(marker='reply-submit').click()
    await user.should_see('Here is my receipt.')
    await user.should_see(marker='attachment-picture')
    assert _counts()[1:] == (before[1] + 1, before[2] + 1)


async def _eventually(check: Callable[[], bool], seconds: float = LIVE_SECONDS) -> None:
    for _ in range(int(seconds / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('not within the time allowed')


def _text(user: User, marker: str) -> str:
    with user:
        return ''.join(getattr(element, 'content', '') + getattr(element, 'text', '')
                       for found in user.find(marker=marker).elements for element in [found, *found.descendants()])


async def test_two_people_exchange_messages_live(create_user: Callable[[], User]) -> None:
    """The patient's open thread page shows the office's reply (with its file) within 3 s without reloading;
    the office's open thread page shows the patient's answer the same way; the badge follows."""
    patient, office = create_user(), create_user()
    from pages.system import Readiness
    await _eventually(lambda: Readiness.ready, 10)
    thread_id, _ = _patient_thread()
    from portal.auth.permissions import Actor
    from portal.db import write_session
    from portal.services.messaging import compose
    with read_session() as session:
        patient_id = session.exec(select(UserRow.id).where(UserRow.email == DEMO_PATIENT)).one()
    with write_session() as session:  # the office owes a reply: the thread is open
        compose.reply(session, actor=Actor(patient_id, 'patient'), thread_id=thread_id, body='Any news?')
    await sign_in(patient, DEMO_PATIENT)
    await patient.should_see('Amount due')
    await patient.open(f'/messages/{thread_id}')
    await patient.should_see('Mark as resolved')
    await sign_in(office, DEMO_STAFF)
    await office.should_see('Collections dashboard')
    await office.open(f'/staff/messages/{thread_id}')
    await office.should_see('Reply to the patient')
    await _choose(office, 'statement.pdf', uploads.pdf(), expect='statement.pdf')
    office.find(marker='reply-body').type('We reversed the duplicate charge.')
    office.find(marker='reply-submit').click()
    await _eventually(lambda: 'We reversed the duplicate charge.' in _text(patient, 'messages'))
    assert 'statement.pdf' in _text(patient, 'messages')
    with office:  # the status choice follows the thread (the reply made it wait on the patient)
        assert next(iter(office.find(marker='status').elements)).value == 'waiting_on_patient'
    patient.find(marker='reply-body').type('Thank you, that was quick.')
    patient.find(marker='reply-submit').click()
    await _eventually(lambda: 'Thank you, that was quick.' in _text(office, 'messages'))
    with read_session() as session:  # the office opened the page once; live refreshes are not openings
        openings = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'staff_open_thread', AuditEvent.entity_id == str(thread_id))).one()
    assert openings == 1


async def test_the_home_card_and_the_badge_follow_a_reply_live(user: User) -> None:
    from portal.auth.permissions import Actor
    from portal.db import write_session
    from portal.services.messaging import threads
    thread_id, _ = _patient_thread()
    with read_session() as session:
        patient = session.exec(select(UserRow.id).where(UserRow.email == DEMO_PATIENT)).one()
        staff = session.exec(select(UserRow.id).where(UserRow.email == DEMO_STAFF)).one()
        unread = inbox.unread_total(session, actor=Actor(patient, 'patient'))
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(f'{unread} unread message')
    with write_session() as session:
        threads.post(session, session.get(MessageThread, thread_id), actor=Actor(staff, 'staff'), body='Update',
                     key=None)
    await _eventually(lambda: f'{unread + 1} unread message' in _text(user, 'home-cards')
                      and f'aria-label="{unread + 1} unread"' in _text(user, 'nav'))


async def test_a_live_refresh_that_finds_nothing_new_redraws_no_message(user: User) -> None:
    """Pictures are not fetched (and, for staff, audited as file views) again on every refresh."""
    from portal import live
    from portal.db import write_session
    thread_id, _ = _patient_thread()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/messages/{thread_id}')
    await user.should_see('Reply to the patient')

    def ids(marker: str) -> set[int]:
        with user:
            return {element.id for element in user.find(marker=marker).elements}

    messages, context = ids('messages'), ids('account-context')
    with write_session() as session:
        live.publish(session, f'thread:{thread_id}')
    await _eventually(lambda: ids('account-context') != context)  # the refresh ran
    assert ids('messages') == messages
