"""Issue 14's bad input and attacker pass on the pages: a 30 MB photo, a 20,000 x 20,000 pixel PNG and hidden
characters in the subject are told in words with nothing stored; a PDF with JavaScript is kept and served only as
a sandboxed download; another account's thread, its file and an internal note's file are the 404 page, each
refusal audited."""
from __future__ import annotations

from nicegui.testing import User
from sqlalchemy import func
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AccountAccess, AuditEvent, Message, MessageThread, StoredFile
from portal.models import User as UserRow
from portal.services.messaging import attachments, compose, threads
from tests.factories import STRONG_PASSWORD, make_account, make_user
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.pages.test_messages_wiring import _choose, _counts, _new_message, file_dir  # noqa: F401 (autouse)
from tests.support import uploads


def _user_id(email: str) -> int:
    with read_session() as session:
        return session.exec(select(UserRow.id).where(UserRow.email == email)).one()


def _denied(action: str) -> list[tuple[int, str]]:
    with read_session() as session:
        return [(row.actor_user_id, row.entity_id) for row in session.exec(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.outcome == 'denied').order_by(AuditEvent.id)).all()]


async def test_a_huge_photo_a_pixel_bomb_and_a_scripted_pdf_on_the_new_message_page(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    before = _counts()
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    await _choose(user, 'IMG_0001.jpg', uploads.jpeg_with_gps() + b'\0' * (30 * 1024 * 1024),
                  expect='is too large (30.0 MB)')
    await _choose(user, 'scan.png', uploads.png_bomb(), expect='"scan.png" is too large a picture')
    await user.should_not_see('IMG_0001.jpg (')  # the refused files are not waiting to be sent
    await user.should_not_see('scan.png (')
    _new_message(user, 'A subject with a hidden character')
    user.find(marker='submit').click()  # while they are listed as not attached, nothing is sent
    await user.should_see('2 files you chose could not be attached ("IMG_0001.jpg", "scan.png")')
    assert _counts() == before
    user.find(marker='remove-refused-1').click()
    user.find(marker='remove-refused-0').click()
    next(iter(user.find(marker='subject').elements)).value = 'March\x00bill'
    user.find(marker='submit').click()
    await user.should_see('Remove the hidden control characters')
    assert _counts() == before

    await _choose(user, 'bill.pdf', uploads.pdf(script=True), expect='bill.pdf (')
    _new_message(user, 'The bill is attached.')
    user.find(marker='submit').click()
    await user.should_see('Expected reply by')
    await user.should_see(marker='attachment-download')
    await user.should_not_see(marker='attachment-picture')
    assert _counts() == (before[0] + 1, before[1] + 1, before[2] + 1)
    with read_session() as session:
        stored = session.exec(select(StoredFile).order_by(StoredFile.id.desc())).first()
    response = await user.http_client.get(f'/files/{stored.public_id}')
    assert response.status_code == 200 and response.content == uploads.pdf(script=True)
    assert response.headers['content-disposition'].startswith('attachment;')
    assert response.headers['content-security-policy'] == 'sandbox'
    assert response.headers['x-content-type-options'] == 'nosniff'


def _strangers_thread() -> tuple[int, str]:
    """A thread of an account the demo patient cannot see, with a file: (thread id, file id)."""
    account, _ = make_account(guarantor_first_name='Other', guarantor_last_name='Household')
    stranger = Actor(make_user(account=account.id).id, 'patient')
    with write_session() as session:
        thread_id = compose.start_thread(session, actor=stranger, account_id=account.id, category='other',
                                         subject='Mine', body='Private', files=[('card.png', uploads.png())])
        message_id = session.exec(select(Message.id).where(Message.thread_id == thread_id)).one()
        file_id = attachments.of_messages(session, [message_id])[message_id][0].id
    return thread_id, file_id


def _internal_note_file() -> str:
    """A file on an internal note in one of the demo patient's own threads."""
    patient = _user_id(DEMO_PATIENT)
    with write_session() as session:
        account_id = session.exec(select(AccountAccess.account_id).where(AccountAccess.user_id == patient)).first()
        thread_id = compose.start_thread(session, actor=Actor(patient, 'patient'), account_id=account_id,
                                         category='other', subject='Own', body='Hello')
        staff = Actor(_user_id(DEMO_STAFF), 'staff')
        note, _ = threads.post(session, session.get(MessageThread, thread_id), actor=staff, body='Staff only',
                               key=None, internal_note=True, files=[('letter.pdf', uploads.pdf())])
        return attachments.of_messages(session, [int(note.id)])[int(note.id)][0].id


async def test_another_accounts_thread_and_files_are_not_found_and_audited(user: User) -> None:
    thread_id, file_id = _strangers_thread()
    note_file = _internal_note_file()
    patient = _user_id(DEMO_PATIENT)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    for path in (f'/messages/{thread_id}', f'/files/{file_id}', f'/files/{note_file}'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 404 and 'Page not found' in response.text, path
        assert uploads.png()[:8] not in response.content and b'%PDF' not in response.content, path
    assert len([event for event in _denied('view_thread') if event[0] == patient]) == 1
    assert (patient, note_file) in _denied('view_file')
    with read_session() as session:  # the stranger's file: refused by the account check, audited once
        refusals = session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_user_id == patient, AuditEvent.outcome == 'denied',
            AuditEvent.action.in_(('view_file', 'view_message_file')))).one()
    assert refusals == 2


async def test_someone_with_two_accounts_picks_the_account_the_message_is_about(user: User) -> None:
    first, _ = make_account(guarantor_first_name='Ines', guarantor_last_name='First', account_number='A777001')
    second, _ = make_account(guarantor_first_name='Ines', guarantor_last_name='Second', account_number='A777002')
    person = make_user(account=first.id, email='two.accounts@example.com')
    with write_session() as session:
        session.add(AccountAccess(user_id=person.id, account_id=second.id, relationship='parent'))
    await sign_in(user, 'two.accounts@example.com', STRONG_PASSWORD)
    await user.should_see(marker='sign-out')
    await user.open(f'/messages/new?account={second.id}')
    await user.should_see('Which account is this about?')
    with user:
        chooser = next(iter(user.find(marker='account').elements))
        assert chooser.value == second.id and set(chooser.options) == {first.id, second.id}
    _new_message(user, 'About the second account')
    user.find(marker='submit').click()
    await user.should_see('Expected reply by')
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.created_by_user_id == person.id)).one()
    assert thread.account_id == second.id
