"""One source of truth for unread (issue 14, item 3): over any sequence of reads (also from a stale second
tab), patient and staff replies, internal notes, resolves, moves between the household's accounts and new
threads, the navigation badge, the inbox (its total and each row) and the home cards all equal a direct
count over the stored read state. SQLite and PostgreSQL."""
from __future__ import annotations

from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AccountAccess, Message, MessageThread, ThreadRead
from portal.services import home
from portal.services.messaging import compose, inbox, threads
from tests.factories import make_account, make_user

OPS = ('read', 'stale_tab_read', 'reply', 'reply_again', 'office_reply', 'office_note', 'resolve', 'move', 'new')
steps = st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 3), st.integers(0, 1)), min_size=1, max_size=14)


def _direct_unread(user_id: int) -> dict[int, int]:
    """thread id -> unread, counted in Python from the rows themselves (not the service's query)."""
    with read_session() as session:
        accounts = set(session.exec(select(AccountAccess.account_id).where(AccountAccess.user_id == user_id)).all())
        marks = {row.thread_id: row.last_read_message_id
                 for row in session.exec(select(ThreadRead).where(ThreadRead.user_id == user_id)).all()}
        counts: dict[int, int] = defaultdict(int)
        for thread in session.exec(select(MessageThread)).all():
            if thread.account_id not in accounts:
                continue
            for message in session.exec(select(Message).where(Message.thread_id == thread.id)).all():
                if message.id > marks.get(thread.id, 0) and message.author_user_id != user_id \
                        and not message.internal_note:
                    counts[thread.id] += 1
    return {thread_id: count for thread_id, count in counts.items() if count}


def _check(people: list[Actor]) -> None:
    for person in people:
        expected = _direct_unread(person.user_id)
        with read_session() as session:
            view = inbox.inbox(session, actor=person)
            badge = inbox.badge(session, actor=person).unread
            mine = inbox.badge(session, actor=person).account_ids
            homes = sum(home.account_home(session, actor=person, account_id=account_id).unread_messages
                        for account_id in mine)
        assert {row.id: row.unread for row in view.rows if row.unread} == expected
        assert badge == view.unread_total == homes == sum(expected.values())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_badge_inbox_and_home_equal_the_read_state(db: str, steps: list[tuple[str, int, int]]) -> None:
    first, _ = make_account()
    second, _ = make_account()
    accounts = [int(first.id), int(second.id)]
    holder = make_user(account=first)
    spouse = make_user(account=first, relationship='spouse')
    with write_session() as session:  # the holder also sees the second account
        session.add(AccountAccess(user_id=holder.id, account_id=second.id, relationship='self'))
    people = [Actor(holder.id, 'patient'), Actor(spouse.id, 'patient')]
    office = Actor(make_user(role='staff').id, 'staff')
    with write_session() as session:
        thread_ids = [compose.start_thread(session, actor=people[0], account_id=accounts[0], category='other',
                                           subject='First', body='Hello')]
    snapshots: dict[tuple[int, int], int] = {}  # (person, thread) -> the last message a tab showed them
    for number, (op, pick, who) in enumerate(steps):
        person, thread_id = people[who], thread_ids[pick % len(thread_ids)]
        with write_session() as session:
            thread = session.get(MessageThread, thread_id)
            may_see = thread.account_id == accounts[0] or who == 0
            if op == 'read' and may_see:
                view = compose.open_thread(session, actor=person, thread_id=thread_id)
                snapshots.setdefault((who, thread_id), view.last_message_id)
            elif op == 'stale_tab_read' and (who, thread_id) in snapshots and may_see:
                compose.mark_read(session, actor=person, thread_id=thread_id,
                                  upto_message_id=snapshots.pop((who, thread_id)))
            elif op in ('reply', 'reply_again') and may_see:
                compose.reply(session, actor=person, thread_id=thread_id, body=f'Reply {number}',
                              idempotency_key=f'r-{thread_id}-{who}' if op == 'reply_again' else None)
            elif op == 'office_reply':
                threads.post(session, thread, actor=office, body=f'Office {number}', key=None)
            elif op == 'office_note':
                threads.post(session, thread, actor=office, body=f'Note {number}', key=None, internal_note=True)
            elif op == 'resolve' and may_see:
                compose.mark_resolved(session, actor=person, thread_id=thread_id)
            elif op == 'move':  # the office moves it to the household's other account
                before = thread.account_id
                thread.account_id = accounts[1] if before == accounts[0] else accounts[0]
                session.add(thread)
                threads.publish(session, thread, account_ids=(before,))
            elif op == 'new':
                thread_ids.append(compose.start_thread(session, actor=people[0], account_id=accounts[pick % 2],
                                                       category='billing_question', subject=f'New {number}',
                                                       body='Another question'))
        _check(people)
