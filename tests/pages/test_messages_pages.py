"""Patient messaging pages (issue 14): the inbox at /messages (in the navigation with an unread badge, and
linked from the home card), a new message at /messages/new, one conversation at /messages/{id}."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AccountAccess, Message, MessageThread, ThreadStatus
from portal.models import User as UserRow
from portal.services.messaging import inbox, threads
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


def _people() -> tuple[Actor, Actor, list[int]]:
    with read_session() as session:
        patient = session.exec(select(UserRow.id).where(UserRow.email == DEMO_PATIENT)).one()
        staff = session.exec(select(UserRow.id).where(UserRow.email == DEMO_STAFF)).one()
        accounts = list(session.exec(select(AccountAccess.account_id).where(AccountAccess.user_id == patient)).all())
    return Actor(patient, 'patient'), Actor(staff, 'staff'), accounts


def _unread(actor: Actor) -> int:
    with read_session() as session:
        return inbox.unread_total(session, actor=actor)


def _office_writes(thread_id: int, body: str, *, internal: bool = False) -> None:
    _, staff, _ = _people()
    with write_session() as session:
        threads.post(session, session.get(MessageThread, thread_id), actor=staff, body=body, key=None,
                     internal_note=internal)


async def test_the_inbox_is_in_the_navigation_with_the_badge_and_the_home_card_links_it(user: User) -> None:
    patient, _, _ = _people()
    unread = _unread(patient)
    assert unread >= 1  # the demo household has an unread reply
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.should_see(f'{unread} unread message')
    await user.should_see('data-testid="messages-link"')
    await user.should_see(f'aria-label="{unread} unread">{unread}</span>')  # the badge beside Messages
    await user.open('/messages')
    await user.should_see('New message')
    with read_session() as session:
        view = inbox.inbox(session, actor=patient)
    listing = next(iter(user.find(marker='inbox').elements)).content
    positions = [listing.index(f'href="/messages/{row.id}"') for row in view.rows]
    assert positions == sorted(positions)  # newest first
    assert f'{view.unread_total} unread' in listing and view.unread_total == unread
    assert 'Waiting for' in listing or 'Resolved' in listing


async def test_a_new_message_lands_on_its_thread_with_the_expected_reply_date(user: User) -> None:
    patient, _, _ = _people()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    user.find(marker='submit').click()
    await user.should_see('Please fix the fields marked in red.')
    assert next(iter(user.find(marker='subject').elements)).error == 'Give your message a subject.'
    next(iter(user.find(marker='category').elements)).value = 'payment_plan'
    user.find(marker='subject').type('Smaller payments')
    user.find(marker='body').type('Could I pay $50 a month?\n<script>alert(1)</script>')
    user.find(marker='submit').click()
    await user.should_see('Expected reply by')
    await user.should_see('&lt;script&gt;alert(1)&lt;/script&gt;')  # shown as text, never as HTML
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.subject == 'Smaller payments')).one()
    assert (thread.category, thread.status, thread.created_by_user_id) == ('payment_plan', 'open', patient.user_id)
    assert thread.expected_reply_by is not None


async def test_a_body_with_a_nul_is_refused_on_the_page(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    next(iter(user.find(marker='category').elements)).value = 'other'
    user.find(marker='subject').type('Hello')
    next(iter(user.find(marker='body').elements)).value = 'nul\x00here'
    user.find(marker='submit').click()
    await user.should_see('hidden control characters')
    with read_session() as session:
        assert session.exec(select(MessageThread).where(MessageThread.subject == 'Hello')).first() is None


async def test_a_conversation_reply_resolve_and_no_internal_notes(user: User) -> None:
    patient, _, accounts = _people()
    with read_session() as session:
        thread_id = inbox.inbox(session, actor=patient).rows[0].id
    _office_writes(thread_id, 'Staff only: call the payer first.', internal=True)
    _office_writes(thread_id, 'We have checked your account.')
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/messages/{thread_id}')
    await user.should_see('We have checked your account.')
    await user.should_not_see('Staff only')
    with read_session() as session:
        assert inbox.inbox(session, actor=patient).rows[0].unread == 0  # what the page showed is read
    user.find(marker='reply-body').type('Thank you!')
    user.find(marker='reply-submit').click()
    await user.should_see('Thank you!')
    await user.should_see('Expected reply by')
    user.find(marker='resolve').click()
    await user.should_see('This conversation is resolved')
    with read_session() as session:
        assert session.get(MessageThread, thread_id).status == ThreadStatus.resolved
        assert session.exec(select(Message).where(Message.thread_id == thread_id,
                                                  Message.body == 'Thank you!')).one()
    assert accounts


async def test_another_accounts_thread_and_bad_ids_are_not_found(user: User) -> None:
    _, _, accounts = _people()
    with read_session() as session:
        other = session.exec(select(MessageThread.id).where(MessageThread.account_id.not_in(accounts))).first()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    for path in (f'/messages/{other}', '/messages/99999999', '/messages/abc', '/messages/new?account=999999'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
