"""The staff messaging pages (issue 14, item 2): the queue with its filters and counts, a thread beside the
account with reply, internal note and status, and the admins' saved replies page."""
from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session, write_session
from portal.models import AccountFlag, FlagKind, Message, MessageThread
from portal.models import User as UserRow
from portal.models.messaging import AuthorRole, ThreadCategory, ThreadStatus
from portal.services.messaging import compose
from tests.factories import make_account, make_charges, make_user
from tests.pages.conftest import DEMO_STAFF, sign_in


def _thread(subject: str = 'Question about my March bill', *, category=ThreadCategory.billing_question) -> int:  # noqa: ANN001
    account, _ = make_account(guarantor_first_name='Rosa', guarantor_last_name='Queue')
    make_charges(account, [12345])
    patient = make_user(account=account.id)
    with write_session() as session:
        thread = MessageThread(account_id=account.id, subject=subject, category=category, status=ThreadStatus.open,
                               created_by_user_id=patient.id)
        session.add(thread)
        session.flush()
        if category == ThreadCategory.dispute_charge:  # the flag this dispute raised, and a card chargeback
            session.add(AccountFlag(account_id=account.id, kind=FlagKind.dispute,
                                    reason=compose.dispute_reason(thread)))
            session.add(AccountFlag(account_id=account.id, kind=FlagKind.chargeback, reason='card dispute'))
        session.add(Message(thread_id=thread.id, author_user_id=patient.id, author_role=AuthorRole.patient,
                            body='Why was I charged twice?'))
        return thread.id


async def _not_found(user: User, path: str) -> None:
    response = await user.http_client.get(path, follow_redirects=False)
    assert response.status_code == 404, path
    assert 'Page not found' in response.text, path


async def _drawn(user: User, text: str) -> str:
    """The conversation's HTML once it shows `text` (a send redraws it after its write)."""
    for _ in range(60):
        found = user.find(marker='messages').elements
        if found and text in (content := ''.join(getattr(element, 'content', '')
                                                 for element in found.pop().descendants())):
            return content
        await asyncio.sleep(0.05)
    raise AssertionError(f'{text!r} never appeared in the conversation')


def _bodies(thread_id: int) -> list[tuple[str, bool]]:
    with read_session() as session:
        rows = session.exec(select(Message).where(Message.thread_id == thread_id).order_by(Message.id)).all()
    return [(row.body, row.internal_note) for row in rows]


async def test_the_queue_is_in_the_staff_navigation_with_filters_and_counts(user: User) -> None:
    thread_id = _thread('Zebra question about a bill')
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/messages')
    await user.should_see('Zebra question about a bill')
    await user.should_see('Unassigned')
    await user.should_see('Billing disputes')
    html = user.find(marker='queue').elements.pop().content
    assert f'/staff/messages/{thread_id}' in html
    await user.open('/staff/messages?view=disputes')
    await user.should_not_see('Zebra question about a bill')
    await user.open('/staff/messages?view=nonsense')  # a hand-edited filter: the plain queue
    await user.should_see('Zebra question about a bill')


async def test_staff_reply_and_write_a_note_beside_the_account(user: User) -> None:
    thread_id = _thread()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/messages/{thread_id}')
    await user.should_see('Question about my March bill')
    await user.should_see(marker='account-context')
    assert '$123.45' in user.find(marker='account-context').elements.pop().content
    user.find(marker='reply-body').type('We refunded the duplicate.')
    user.find(marker='reply-submit').click()
    await _drawn(user, 'We refunded the duplicate.')
    user.find(marker='note-body').type('Refund R-77 issued.')
    user.find(marker='note-submit').click()
    assert 'the patient never sees this' in await _drawn(user, 'Refund R-77 issued.')
    assert _bodies(thread_id)[1:] == [('We refunded the duplicate.', False), ('Refund R-77 issued.', True)]
    user.find(marker='reply-submit').click()  # empty: a message, nothing stored
    await user.should_see('Write your message first.')
    assert len(_bodies(thread_id)) == 3


async def test_resolving_a_dispute_needs_a_note_and_keeps_the_chargeback(user: User) -> None:
    thread_id = _thread('Dispute about an X-ray', category=ThreadCategory.dispute_charge)
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/messages/{thread_id}')
    await user.should_see('Dispute about an X-ray')
    user.find(marker='status').elements.pop().value = 'resolved'
    user.find(marker='set-status').click()
    await user.should_see('Say how the dispute was resolved')
    user.find(marker='resolution-note').type('Billed in error; written off.')
    user.find(marker='set-status').click()
    await user.should_see('Status saved.')
    with read_session() as session:
        thread = session.get(MessageThread, thread_id)
        kinds = session.exec(select(AccountFlag.kind).where(AccountFlag.account_id == thread.account_id,
                                                            AccountFlag.cleared_at.is_(None))).all()
    assert thread.status == ThreadStatus.resolved and list(kinds) == [FlagKind.chargeback]


async def test_a_thread_of_nobody_or_a_bad_id_is_not_found(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    for path in ('/staff/messages/99999999', '/staff/messages/-1', '/staff/messages/١٢'):
        await _not_found(user, path)


async def test_staff_cannot_open_the_saved_replies_page(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await _not_found(user, '/staff/saved-replies')
    await user.open('/staff/messages')
    await user.should_not_see(marker='saved-replies-link')


async def test_admins_manage_saved_replies(user: User) -> None:
    with write_session() as session:
        session.exec(select(UserRow).where(UserRow.email == DEMO_STAFF)).one().role = 'admin'
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/messages')
    user.find(marker='saved-replies-link').click()
    await user.should_see('New saved reply')
    await user.should_see('Balance and due date')  # the demo office's own
    shipped = len(user.find(kind=ui.column, marker='saved-reply-row').elements)
    user.find(marker='new-saved-reply').click()
    user.find(marker='reply-title').type('Balance')
    user.find(marker='reply-text').type('You owe {amount}.')
    user.find(marker='reply-save').click()
    await user.should_see('Use only these placeholders')
    user.find(marker='reply-text').clear()
    user.find(marker='reply-text').type('Your balance is {balance}.')
    user.find(marker='reply-save').click()
    for _ in range(60):  # the list is drawn again once the save is stored
        if len(user.find(kind=ui.column, marker='saved-reply-row').elements) == shipped + 1:
            break
        await asyncio.sleep(0.05)
    assert len(user.find(kind=ui.column, marker='saved-reply-row').elements) == shipped + 1


async def test_staff_write_first_to_a_patient_from_the_account(user: User) -> None:
    account, _ = make_account(guarantor_first_name='Nia', guarantor_last_name='Starter')
    make_user(account=account.id)
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    user.find(marker='write-to-patient').click()
    await user.should_see('Write to Nia Starter')
    user.find(marker='subject').type('Your new insurance card')
    user.find(marker='new-submit').click()
    await user.should_see('Write your message first.')
    user.find(marker='body').type('Please send us a photo of both sides of your new card.')
    user.find(marker='new-submit').click()
    await user.should_see(marker='messages')
    await _drawn(user, 'both sides of your new card')
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.account_id == account.id)).one()
    assert thread.status == ThreadStatus.waiting_on_patient and thread.created_by_user_id is not None
    await _not_found(user, '/staff/messages/new?account=abc')


async def test_staff_insert_a_saved_reply_with_live_figures_assign_it_to_themselves_and_move_it(user: User) -> None:
    from portal.auth.permissions import Actor
    from portal.models import AccountAccess
    from portal.services.messaging import saved_replies
    thread_id = _thread()  # its account owes $123.45
    with read_session() as session:
        thread = session.get(MessageThread, thread_id)
        patient_id, old_account = thread.created_by_user_id, thread.account_id
    household, _ = make_account(guarantor_first_name='Ana', guarantor_last_name='Household')
    admin = make_user(role='admin')
    with write_session() as session:
        session.add(AccountAccess(user_id=patient_id, account_id=household.id, relationship='parent'))
        saved_replies.save(session, actor=Actor(admin.id, 'admin'), title='Balance',
                           body='Your balance is {balance}. {practice_name}')
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/messages/{thread_id}')
    await user.should_see('Question about my March bill')
    with user:
        picker = next(iter(user.find(marker='saved-reply').elements))
        picker.value = next(iter(picker.options))  # {saved reply id: title}: the one saved above
    for _ in range(60):  # filled in a worker thread
        with user:
            text = next(iter(user.find(marker='reply-body').elements)).value or ''
        if text:
            break
        await asyncio.sleep(0.05)
    assert text.startswith('Your balance is $123.45.')
    user.find(marker='assign-me').click()
    await user.should_see('Assigned to you.')
    with read_session() as session:
        me = session.exec(select(UserRow.id).where(UserRow.email == DEMO_STAFF)).one()
        assert session.get(MessageThread, thread_id).assigned_to_user_id == me
    with user:
        next(iter(user.find(marker='move-target').elements)).value = household.id
    user.find(marker='move').click()
    await user.should_see('Moved.')
    with read_session() as session:
        assert session.get(MessageThread, thread_id).account_id == household.id != old_account
