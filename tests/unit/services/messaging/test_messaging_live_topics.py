"""Every messaging change publishes what MESSAGING.md promises (issue 14, item 5): `thread:{id}`,
`inbox:{account_id}` (both accounts after a move) and `staff-queue`, for a patient's new thread, reply and
resolve, and staff's reply, note, assignment, status change, move and new thread; inside the use case's
own write session (nothing when it fails)."""
from __future__ import annotations

from collections.abc import Callable

import pytest

from portal import live
from portal.auth.permissions import Actor
from portal.db import write_session
from portal.errors import ValidationFailed
from portal.models import AccountAccess
from portal.services.messaging import compose, staff_threads
from tests.factories import make_account, make_user


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    topics: list[str] = []
    original = live.publish

    def record(session, topic: str) -> None:  # noqa: ANN001
        topics.append(topic)
        original(session, topic)

    monkeypatch.setattr(live, 'publish', record)
    return topics


def test_every_change_publishes_the_thread_the_inbox_and_the_queue(db: str, published: list[str]) -> None:
    account, _ = make_account()
    household, _ = make_account()
    user = make_user(account=account.id)
    with write_session() as session:
        session.add(AccountAccess(user_id=user.id, account_id=household.id, relationship='parent'))
    patient, staff = Actor(user.id, 'patient'), Actor(make_user(role='staff').id, 'staff')

    def expect(action: Callable[..., object], *accounts: int, **values: object) -> object:
        published.clear()
        with write_session() as session:
            result = action(session, **values)
        wanted = {f'inbox:{account_id}' for account_id in accounts} | {'staff-queue'}
        thread = values.get('thread_id', result)
        assert wanted | {f'thread:{thread}'} <= set(published), (action.__qualname__, published)
        return result

    thread_id = expect(compose.start_thread, account.id, actor=patient, account_id=account.id,
                       category='billing_question', subject='Bill', body='Why?')
    expect(compose.reply, account.id, actor=patient, thread_id=thread_id, body='Also this.')
    expect(staff_threads.reply, account.id, actor=staff, thread_id=thread_id, body='Looking.')
    expect(staff_threads.add_note, account.id, actor=staff, thread_id=thread_id, body='Call the payer.')
    expect(staff_threads.assign, account.id, actor=staff, thread_id=thread_id, assignee_user_id=staff.user_id)
    expect(staff_threads.set_status, account.id, actor=staff, thread_id=thread_id, status='open')
    expect(compose.mark_resolved, account.id, actor=patient, thread_id=thread_id)
    expect(staff_threads.move, account.id, household.id, actor=staff, thread_id=thread_id, account_id=household.id)
    expect(staff_threads.start_thread, household.id, actor=staff, account_id=household.id, category='other',
           subject='Your card', body='Please send a photo of your card.')


def test_a_failed_change_publishes_nothing_that_is_delivered(db: str, published: list[str]) -> None:
    account, _ = make_account()
    patient = Actor(make_user(account=account.id).id, 'patient')
    with pytest.raises(ValidationFailed), write_session() as session:
        compose.start_thread(session, actor=patient, account_id=account.id, category='other', subject='Hi', body='')
    assert published == []
