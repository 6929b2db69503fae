"""The staff side of messaging (issue 14, items 2, 3 and 7): internal notes never reach the patient,
resolving a billing dispute clears that flag (never a chargeback), assignment, moving a thread only to an
account its patient can see, saved replies filled with live figures, one audit per opening, sends posted
once per key, and the queue's filters and counts from one grouped query."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import AccountFlag, AuditEvent, FlagKind, Message, MessageThread, Notification
from portal.models.messaging import AuthorRole, ThreadCategory, ThreadStatus
from portal.services.messaging import compose, read_state, saved_replies, staff_queue, staff_threads
from portal.services.messaging.staff_digest import queue_staff_digest
from portal.services.practice import load_practice_today as practice_today
from tests.factories import make_account, make_charges, make_user


def _thread(*, category: ThreadCategory = ThreadCategory.billing_question, account=None, patient=None,  # noqa: ANN001
            expected: date | None = None, body: str = 'Why is this charge so high?') -> tuple[int, int, int]:
    """A patient's open thread; returns (thread id, account id, patient user id)."""
    if account is None:
        account, _ = make_account()
    account_id = account if isinstance(account, int) else account.id
    patient = patient or make_user(account=account_id)
    with write_session() as session:
        thread = MessageThread(account_id=account_id, subject='About my bill', category=category,
                               status=ThreadStatus.open, created_by_user_id=patient.id, expected_reply_by=expected)
        session.add(thread)
        session.flush()
        session.add(Message(thread_id=thread.id, author_user_id=patient.id, author_role=AuthorRole.patient, body=body))
        thread_id = thread.id
    return thread_id, account_id, patient.id


def _staff(role: str = 'staff') -> Actor:
    return Actor(make_user(role=role, first_name='Sam', last_name='Clerk').id, role)


def test_an_internal_note_never_reaches_the_patient(db: str) -> None:
    thread_id, _, patient_id = _thread()
    staff = _staff()
    with write_session() as session:
        staff_threads.add_note(session, actor=staff, thread_id=thread_id, body='Called the insurer; wait for EOB.')
        staff_threads.reply(session, actor=staff, thread_id=thread_id, body='We are looking into it.')
    patient = Actor(patient_id, 'patient')
    with write_session() as session:
        seen = compose.open_thread(session, actor=patient, thread_id=thread_id)
        unread = read_state.unread_by_thread(session, user_id=patient_id, thread_ids=[thread_id])
    assert [m.body for m in seen.messages] == ['Why is this charge so high?', 'We are looking into it.']
    assert unread == {}  # read now, and the note never counted
    with write_session() as session:
        view = staff_threads.open_thread(session, actor=staff, thread_id=thread_id)
    assert [m.internal_note for m in view.messages] == [False, True, False]
    assert view.status == ThreadStatus.waiting_on_patient


def test_a_patient_cannot_use_the_staff_services(db: str) -> None:
    thread_id, _, patient_id = _thread()
    patient = Actor(patient_id, 'patient')
    with write_session() as session, pytest.raises(NotFound):
        staff_threads.open_thread(session, actor=patient, thread_id=thread_id)
    with write_session() as session, pytest.raises(NotFound):
        staff_threads.add_note(session, actor=patient, thread_id=thread_id, body='sneaky')
    with read_session() as session:
        assert session.exec(select(Message).where(Message.thread_id == thread_id)).all()[-1].body != 'sneaky'


def _open_flags(account_id: int) -> list[str]:
    with read_session() as session:
        return sorted(session.exec(select(AccountFlag.kind).where(AccountFlag.account_id == account_id,
                                                                  col(AccountFlag.cleared_at).is_(None))).all())


def test_resolving_a_billing_dispute_clears_that_flag_and_never_a_chargeback(db: str) -> None:
    thread_id, account_id, _ = _thread(category=ThreadCategory.dispute_charge)
    with write_session() as session:
        thread = session.get(MessageThread, thread_id)
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.dispute,
                                reason=compose.dispute_reason(thread)))
        # another dispute on the same account, still open in its own thread: it must stay
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.dispute,
                                reason='charge 999999 disputed by the patient'))
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.chargeback, reason='card dispute'))
    staff = _staff()
    with write_session() as session, pytest.raises(ValidationFailed, match='how the dispute was resolved'):
        staff_threads.set_status(session, actor=staff, thread_id=thread_id, status='resolved')
    assert _open_flags(account_id) == ['chargeback', 'dispute', 'dispute']
    with write_session() as session:
        cleared = staff_threads.set_status(session, actor=staff, thread_id=thread_id, status='resolved',
                                           note='Coding error; corrected and re-billed.')
    assert cleared == 1 and _open_flags(account_id) == ['chargeback', 'dispute']
    with read_session() as session:
        note = session.exec(select(Message).where(Message.thread_id == thread_id)
                            .order_by(col(Message.id).desc())).first()
    assert note.internal_note and note.body.startswith('Billing dispute resolved: Coding error')


def test_a_question_resolves_without_touching_flags(db: str) -> None:
    thread_id, account_id, _ = _thread()
    with write_session() as session:
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.dispute, reason='charge disputed'))
    with write_session() as session:
        assert staff_threads.set_status(session, actor=_staff(), thread_id=thread_id, status='resolved') == 0
    assert _open_flags(account_id) == ['dispute']


def test_assign_to_me_to_a_colleague_and_never_to_a_patient(db: str) -> None:
    thread_id, _, patient_id = _thread()
    me, colleague = _staff(), _staff('admin')
    with write_session() as session:
        assert staff_threads.assign(session, actor=me, thread_id=thread_id, assignee_user_id=me.user_id) == 'Sam Clerk'
        staff_threads.assign(session, actor=me, thread_id=thread_id, assignee_user_id=colleague.user_id)
    with write_session() as session, pytest.raises(ValidationFailed):
        staff_threads.assign(session, actor=me, thread_id=thread_id, assignee_user_id=patient_id)
    with read_session() as session:
        assert session.get(MessageThread, thread_id).assigned_to_user_id == colleague.user_id
    _thread()  # someone else's work: not in "mine"
    with write_session() as session:
        mine = staff_queue.staff_queue(session, actor=colleague, view='mine')
    assert [row.id for row in mine.rows] == [thread_id] and mine.counts.views[staff_queue.View.mine] == 1


def _household_thread(category: ThreadCategory = ThreadCategory.billing_question) -> tuple[int, int, int, int]:
    """A thread about a $50 charge on an account whose patient also sees a household account:
    (thread id, its account, the household account, the charge)."""
    account, _ = make_account()
    household, _ = make_account()
    patient = make_user(account=account.id)
    with write_session() as session:
        from portal.models import AccountAccess
        session.add(AccountAccess(user_id=patient.id, account_id=household.id, relationship='parent'))
    [charge_id] = make_charges(account, [5000])
    thread_id, _, _ = _thread(account=account, patient=patient, category=category)
    with write_session() as session:
        session.get(MessageThread, thread_id).charge_id = charge_id
    return thread_id, account.id, household.id, charge_id


def test_a_thread_moves_only_to_an_account_its_patient_can_see(db: str) -> None:
    thread_id, _, household_id, _ = _household_thread()
    stranger, _ = make_account()
    staff = _staff()
    with write_session() as session:
        view = staff_threads.open_thread(session, actor=staff, thread_id=thread_id)
    assert [target for target, _ in view.move_targets] == [household_id]
    with write_session() as session, pytest.raises(ValidationFailed, match='account the patient can see'):
        staff_threads.move(session, actor=staff, thread_id=thread_id, account_id=stranger.id)
    with write_session() as session:
        staff_threads.move(session, actor=staff, thread_id=thread_id, account_id=household_id)
    with read_session() as session:
        moved = session.get(MessageThread, thread_id)
    assert (moved.account_id, moved.charge_id) == (household_id, None)  # the old account's line is not carried


def test_a_moved_dispute_takes_its_flag_along_and_resolving_it_there_clears_it(db: str) -> None:
    thread_id, account_id, household_id, _ = _household_thread(ThreadCategory.dispute_charge)
    with write_session() as session:  # the flag the dispute raised (about its charge), and one of another thread
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.dispute,
                                reason=compose.dispute_reason(session.get(MessageThread, thread_id))))
        session.add(AccountFlag(account_id=account_id, kind=FlagKind.dispute, reason='charge 999999 disputed by '
                                                                                     'the patient'))
    staff = _staff()
    with write_session() as session:
        staff_threads.move(session, actor=staff, thread_id=thread_id, account_id=household_id)
    assert (_open_flags(account_id), _open_flags(household_id)) == (['dispute'], ['dispute'])
    with write_session() as session:
        cleared = staff_threads.set_status(session, actor=staff, thread_id=thread_id, status='resolved',
                                           note='Charge was on the wrong account; moved and corrected.')
    assert cleared == 1 and (_open_flags(account_id), _open_flags(household_id)) == (['dispute'], [])


def test_saved_replies_fill_live_figures_and_only_admins_manage_them(db: str) -> None:
    thread_id, account_id, _ = _thread()
    make_charges(account_id, [4200])
    staff, admin = _staff(), _staff('admin')
    with write_session() as session, pytest.raises(NotFound):
        saved_replies.save(session, actor=staff, title='Balance', body='You owe {balance}.')
    with write_session() as session, pytest.raises(ValidationFailed, match='placeholders'):
        saved_replies.save(session, actor=admin, title='Balance', body='You owe {amount}.')
    with write_session() as session:
        reply_id = saved_replies.save(session, actor=admin, title='Balance',
                                      body='Your balance is {balance}; {plan_terms}. {practice_name}')
    with write_session() as session:
        text = saved_replies.fill(session, actor=staff, reply_id=reply_id, thread_id=thread_id)
    assert text.startswith('Your balance is $42.00; no payment plan.')
    make_charges(account_id, [800])  # live: the figure is read when the reply is picked
    with write_session() as session:
        assert saved_replies.fill(session, actor=staff, reply_id=reply_id, thread_id=thread_id) \
            .startswith('Your balance is $50.00')
    with write_session() as session:
        saved_replies.delete(session, actor=admin, reply_id=reply_id)
        assert saved_replies.saved_replies(session, actor=staff) == ()


@pytest.mark.parametrize('title', ['Balance\x00', 'Bal\u202eance', 'Tab\x07'])
def test_a_saved_reply_title_with_hidden_characters_is_refused_and_nothing_is_saved(db: str, title: str) -> None:
    with write_session() as session, pytest.raises(ValidationFailed, match='hidden') as refused:
        saved_replies.save(session, actor=_staff('admin'), title=title, body='You owe {balance}.')
    assert 'title' in refused.value.field_errors
    with read_session() as session:
        assert saved_replies.saved_replies(session, actor=_staff()) == ()


def test_each_opening_is_audited_once_and_a_live_refresh_not_at_all(db: str) -> None:
    thread_id, account_id, _ = _thread()
    staff = _staff()
    with write_session() as session:
        staff_threads.open_thread(session, actor=staff, thread_id=thread_id)
    for _ in range(3):
        with write_session() as session:
            staff_threads.open_thread(session, actor=staff, thread_id=thread_id, opening=False)
    with read_session() as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.account_id == account_id)).all()
    assert actions.count('staff_open_thread') == 1 and 'staff_account_context' not in actions


def test_a_reply_posts_once_per_key(db: str) -> None:
    thread_id, _, _ = _thread()
    staff = _staff()
    for _ in range(2):
        with write_session() as session:
            staff_threads.reply(session, actor=staff, thread_id=thread_id, body='Done.', idempotency_key='k-1')
    with read_session() as session:
        assert len(session.exec(select(Message).where(Message.thread_id == thread_id)).all()) == 2


@pytest.mark.parametrize('body', ['', ' ', 'x' * 5001, 'a\x00b', 'abc\u202edcba'])
def test_bad_bodies_are_refused_and_store_nothing(db: str, body: str) -> None:
    thread_id, _, _ = _thread()
    with write_session() as session, pytest.raises(ValidationFailed):
        staff_threads.reply(session, actor=_staff(), thread_id=thread_id, body=body)
    with read_session() as session:
        assert len(session.exec(select(Message).where(Message.thread_id == thread_id)).all()) == 1


def test_staff_start_a_thread_that_waits_on_the_patient(db: str) -> None:
    account, _ = make_account()
    make_user(account=account.id)
    staff = _staff()
    with write_session() as session:
        thread_id = staff_threads.start_thread(session, actor=staff, account_id=account.id,
                                               category='insurance_update', subject='Your insurance card',
                                               body='Please send a photo of your new card.')
    with read_session() as session:
        thread = session.get(MessageThread, thread_id)
    assert (thread.status, thread.category) == (ThreadStatus.waiting_on_patient, ThreadCategory.insurance_update)
    with write_session() as session, pytest.raises(ValidationFailed):
        staff_threads.start_thread(session, actor=staff, account_id=account.id, category='nonsense',
                                   subject='x', body='y')


def test_queue_filters_counts_and_oldest_waiting_first(db: str) -> None:
    today = date.today()
    first, _, _ = _thread(expected=today - timedelta(days=2))
    second, _, _ = _thread(category=ThreadCategory.dispute_charge, expected=today + timedelta(days=2))
    done, _, _ = _thread()
    staff = _staff()
    with write_session() as session:
        staff_threads.set_status(session, actor=staff, thread_id=done, status='resolved')
        page = staff_queue.staff_queue(session, actor=staff)
        overdue = staff_queue.staff_queue(session, actor=staff, view='overdue')
        disputes = staff_queue.staff_queue(session, actor=staff, view='disputes')
        resolved = staff_queue.staff_queue(session, actor=staff, status='resolved')
    assert [row.id for row in page.rows] == [first, second]
    assert [row.id for row in overdue.rows] == [first] and overdue.rows[0].overdue
    assert [row.id for row in disputes.rows] == [second]
    assert [row.id for row in resolved.rows] == [done]
    views = page.counts.views
    assert (views[staff_queue.View.open], views[staff_queue.View.unassigned], views[staff_queue.View.overdue],
            views[staff_queue.View.disputes], views[staff_queue.View.all]) == (2, 2, 1, 1, 3)
    assert page.rows[0].unread == 1
    with write_session() as session, pytest.raises(ValidationFailed):
        staff_queue.staff_queue(session, actor=staff, view='everything')


def test_the_daily_digest_goes_once_to_each_staff_member(db: str) -> None:
    today = date.today()
    _thread(expected=today - timedelta(days=1))
    staff = _staff()
    with write_session() as session:
        first = queue_staff_digest(session, on=today)
    with write_session() as session:
        again = queue_staff_digest(session, on=today)
    with read_session() as session:
        mine = session.exec(select(Notification).where(Notification.user_id == staff.user_id)).all()
    assert first >= 1 and again == 0
    assert len(mine) == 1 and mine[0].template == 'staff_digest' and 'About my bill' not in mine[0].context_json
    from portal.notify.templates import render
    subject, body = render('staff_digest', {'first_name': 'Sam', 'count': 1, 'link': 'https://portal.example.com'})
    assert 'conversations are' not in subject + body and ': 1' in subject  # one is not "1 conversations are"


def test_the_digest_job_runs_once_a_day_and_is_in_the_catalogue(db: str) -> None:
    from portal.job_catalogue import JOBS
    from portal.jobs import staff_digest
    from portal.models import JobRun
    assert JOBS['staff_message_digest'][0] == 'portal.jobs.staff_digest:run'
    _thread(expected=date(2000, 1, 3))
    _staff()
    assert staff_digest.run() >= 1
    assert staff_digest.run() == 0  # claimed for today already
    with read_session() as session:
        runs = session.exec(select(JobRun).where(JobRun.job == 'staff_message_digest')).all()
    assert len(runs) == 1 and runs[0].outcome == 'ok' and runs[0].items >= 1


def _direct_counts(me: int, today: date) -> dict[str, int]:
    """Each quick filter's count, straight from the rows (the property the queue's one GROUP BY must keep)."""
    with read_session() as session:
        rows = session.exec(select(MessageThread)).all()
    open_work = [t for t in rows if t.status != ThreadStatus.resolved]
    return {'open': len(open_work), 'unassigned': sum(t.assigned_to_user_id is None for t in open_work),
            'mine': sum(t.assigned_to_user_id == me for t in open_work),
            'overdue': sum(t.status == ThreadStatus.open and t.expected_reply_by is not None
                           and t.expected_reply_by < today for t in open_work),
            'disputes': sum(t.category == ThreadCategory.dispute_charge for t in open_work), 'all': len(rows)}


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_queue_counts_and_unread_always_match_the_rows_and_the_read_state(db: str, seed: int) -> None:
    import random
    rng = random.Random(seed)
    account, _ = make_account()
    household, _ = make_account()
    patient = make_user(account=account.id)
    with write_session() as session:
        from portal.models import AccountAccess
        session.add(AccountAccess(user_id=patient.id, account_id=household.id, relationship='parent'))
    me, colleague = _staff(), _staff()
    ids = [_thread(account=account, patient=patient, category=rng.choice(list(ThreadCategory)),
                   expected=practice_today() - timedelta(days=rng.randint(-2, 2)))[0] for _ in range(4)]
    person = Actor(patient.id, 'patient')
    for step in range(40):
        thread_id, op, actor = rng.choice(ids), rng.randrange(8), rng.choice([me, colleague])
        with write_session() as session:
            try:
                if op == 0:
                    staff_threads.reply(session, actor=actor, thread_id=thread_id, body=f'Office {step}')
                elif op == 1:
                    staff_threads.add_note(session, actor=actor, thread_id=thread_id, body=f'Note {step}')
                elif op == 2:
                    staff_threads.assign(session, actor=actor, thread_id=thread_id,
                                         assignee_user_id=rng.choice([None, me.user_id, colleague.user_id]))
                elif op == 3:
                    staff_threads.set_status(session, actor=actor, thread_id=thread_id,
                                             status=rng.choice(list(ThreadStatus)), note='Settled.')
                elif op == 4:
                    target = household.id if session.get(MessageThread, thread_id).account_id == account.id \
                        else account.id
                    staff_threads.move(session, actor=actor, thread_id=thread_id, account_id=target)
                elif op == 5:
                    compose.reply(session, actor=person, thread_id=thread_id, body=f'Patient {step}')
                else:
                    staff_threads.open_thread(session, actor=actor, thread_id=thread_id, opening=op == 6)
            except ValidationFailed:
                pass
        for who in (me, colleague):
            with write_session() as session:
                page = staff_queue.staff_queue(session, actor=who, view='all')
                unread = read_state.unread_by_thread(session, user_id=who.user_id, thread_ids=ids, staff=True)
            counts = {view.value: count for view, count in page.counts.views.items()}
            assert counts == _direct_counts(who.user_id, practice_today()), step
            assert {row.id: row.unread for row in page.rows if row.unread} == unread, step
