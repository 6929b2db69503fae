"""Patient messaging services (issue 14): access, safety refusals, one post per send, the daily limit,
expected reply dates over weekends and holidays, statuses, disputes and reply emails. SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import (
    AccountFlag,
    AuditEvent,
    Message,
    MessageThread,
    Notification,
    Statement,
    ThreadCategory,
    ThreadStatus,
)
from portal.models.accounts import FlagKind
from portal.services.messaging import compose, inbox, notices, safety, threads
from portal.services.messaging.reply_dates import add_business_days
from tests.factories import make_account, make_charges, make_user


def _patient(**account_fields: object) -> tuple[Actor, int]:
    account, _ = make_account(**account_fields)
    user = make_user(account=account)
    return Actor(user.id, 'patient'), int(account.id)


def _start(actor: Actor, account_id: int, *, body: str = 'Why is my bill higher this month?', key: str | None = None,
           category: str = 'billing_question', link: str | None = None) -> int:
    with write_session() as session:
        return compose.start_thread(session, actor=actor, account_id=account_id, category=category,
                                    subject='My bill', body=body, link=link, idempotency_key=key)


def _staff_reply(thread_id: int, body: str = 'Thanks, we are looking into it.', *, internal: bool = False) -> int:
    staff = make_user(role='staff')
    with write_session() as session:
        thread = session.get(MessageThread, thread_id)
        message, _ = threads.post(session, thread, actor=Actor(staff.id, 'staff'), body=body, key=None,
                                  internal_note=internal)
        if not internal:
            notices.notify_patient_of_reply(session, thread_id)
        return int(message.id)


def test_another_accounts_thread_is_not_found_and_audited(db: str) -> None:
    owner, account_id = _patient()
    thread_id = _start(owner, account_id)
    stranger, _ = _patient()
    for use_case, extra in ((compose.open_thread, {}), (compose.reply, {'body': 'hi'}),
                            (compose.mark_resolved, {}), (compose.mark_read, {'upto_message_id': 1})):
        with pytest.raises(NotFound), write_session() as session:
            use_case(session, actor=stranger, thread_id=thread_id, **extra)
    with pytest.raises(NotFound), write_session() as session:
        compose.start_thread(session, actor=stranger, account_id=account_id, category='other', subject='x', body='y')
    with read_session() as session:
        denied = session.exec(select(AuditEvent.action).where(AuditEvent.actor_user_id == stranger.user_id,
                                                              AuditEvent.outcome == 'denied')).all()
        assert len(denied) == 5
        assert len(session.exec(select(Message).where(Message.thread_id == thread_id)).all()) == 1
    with read_session() as session:
        assert inbox.inbox(session, actor=stranger).rows == ()
    with pytest.raises(NotFound), write_session() as session:
        compose.open_thread(session, actor=owner, thread_id=thread_id + 1000)


@pytest.mark.parametrize('body, words', [
    ('', 'Write your message first'),
    ('   \n ', 'Write your message first'),
    ('x' * 5001, 'under 5,000 characters'),
    ('before\x00after', 'control characters'),
    ('bell\x07', 'control characters'),
    ('pay \u202eevil', 'text-direction'),
    ('isolate \u2066x\u2069', 'text-direction'),
])
def test_bad_bodies_are_refused_with_a_message_and_store_nothing(db: str, body: str, words: str) -> None:
    actor, account_id = _patient()
    with pytest.raises(ValidationFailed, match=words):
        _start(actor, account_id, body=body)
    with read_session() as session:
        assert session.exec(select(MessageThread)).all() == []
    thread_id = _start(actor, account_id)
    with pytest.raises(ValidationFailed, match=words), write_session() as session:
        compose.reply(session, actor=actor, thread_id=thread_id, body=body)
    with read_session() as session:
        assert len(session.exec(select(Message)).all()) == 1


def test_five_thousand_characters_and_line_breaks_are_fine(db: str) -> None:
    actor, account_id = _patient()
    thread_id = _start(actor, account_id, body='a\r\nb\tc' + 'x' * 4995)  # 5,000 once the line end is one character
    with read_session() as session:
        stored = session.exec(select(Message.body).where(Message.thread_id == thread_id)).one()
    assert stored.startswith('a\nb\tc') and len(stored) == 5000


def test_a_subject_with_a_nul_is_refused(db: str) -> None:
    actor, account_id = _patient()
    with pytest.raises(ValidationFailed, match='control characters'), write_session() as session:
        compose.start_thread(session, actor=actor, account_id=account_id, category='other', subject='a\x00b',
                             body='hello')


def test_a_send_repeated_under_its_key_posts_once(db: str) -> None:
    actor, account_id = _patient()
    first = _start(actor, account_id, key='k-new-1')
    assert _start(actor, account_id, key='k-new-1') == first
    replies = []
    for _ in range(3):
        with write_session() as session:
            replies.append(compose.reply(session, actor=actor, thread_id=first, body='Any news?',
                                         idempotency_key='k-reply-1'))
    assert len(set(replies)) == 1
    with read_session() as session:
        assert len(session.exec(select(MessageThread)).all()) == 1
        assert len(session.exec(select(Message)).all()) == 2
    other, other_account = _patient()
    with pytest.raises(ValidationFailed, match='out of date'):
        _start(other, other_account, key='k-new-1')


def test_at_most_twenty_new_threads_a_day(db: str) -> None:
    actor, account_id = _patient()
    for index in range(safety.NEW_THREADS_PER_DAY):
        _start(actor, account_id, key=f'day-{index}')
    assert _start(actor, account_id, key='day-19')  # a retry of the twentieth is no new thread
    with pytest.raises(ValidationFailed, match='20 conversations today'):
        _start(actor, account_id, key='day-20')
    with write_session() as session:  # a day later there is room again
        for thread in session.exec(select(MessageThread)).all():
            thread.created_at -= timedelta(days=1, minutes=1)
            session.add(thread)
    _start(actor, account_id, key='day-21')


@pytest.mark.parametrize('start, days, expected', [
    (date(2026, 11, 24), 2, date(2026, 11, 27)),  # Tue + 2 skips Thanksgiving (Thu 26) -> Fri
    (date(2026, 11, 25), 2, date(2026, 11, 30)),  # Wed + 2: Thu holiday, Fri, weekend, Mon
    (date(2026, 11, 27), 2, date(2026, 12, 1)),  # Fri + 2 over the weekend
    (date(2026, 11, 28), 1, date(2026, 11, 30)),  # written on a Saturday
    (date(2026, 7, 2), 1, date(2026, 7, 6)),  # July 4 2026 is a Saturday: observed Fri July 3
    (date(2026, 12, 24), 2, date(2026, 12, 29)),  # Christmas
])
def test_expected_reply_dates_skip_weekends_and_federal_holidays(start: date, days: int, expected: date) -> None:
    assert add_business_days(start, days) == expected


def test_the_expected_reply_date_follows_the_practice_setting_and_the_status(db: str, monkeypatch) -> None:  # noqa: ANN001
    from portal.models import PracticeSettings
    with write_session() as session:
        session.add(PracticeSettings(name='Clinic', timezone='America/Chicago', reply_business_days=3))
    monkeypatch.setattr('portal.services.messaging.threads.utcnow', lambda: datetime(2026, 11, 24, 18, 0, tzinfo=UTC))
    actor, account_id = _patient()
    thread_id = _start(actor, account_id)
    with read_session() as session:
        row = inbox.inbox(session, actor=actor).rows[0]
    assert (row.status, row.expected_reply_by) == (ThreadStatus.open, date(2026, 11, 30))
    _staff_reply(thread_id)
    with read_session() as session:
        row = inbox.inbox(session, actor=actor).rows[0]
    assert (row.status, row.expected_reply_by, row.unread) == (ThreadStatus.waiting_on_patient, None, 1)


def test_internal_notes_are_never_shown_or_counted_for_the_patient(db: str) -> None:
    actor, account_id = _patient()
    thread_id = _start(actor, account_id)
    _staff_reply(thread_id, 'Patient sounds upset; check the EOB first.', internal=True)
    with write_session() as session:
        view = compose.open_thread(session, actor=actor, thread_id=thread_id)
    assert [message.body for message in view.messages] == ['Why is my bill higher this month?']
    with read_session() as session:
        assert inbox.unread_total(session, actor=actor) == 0
        assert inbox.inbox(session, actor=actor).rows[0].preview == 'Why is my bill higher this month?'
    with pytest.raises(NotFound), write_session() as session:  # a patient cannot write one
        threads.post(session, session.get(MessageThread, thread_id), actor=actor, body='x', key=None,
                     internal_note=True)


def test_a_dispute_raises_the_flag_and_the_patients_resolve_keeps_it(db: str) -> None:
    actor, account_id = _patient()
    [charge_id] = make_charges(account_id, [9000])
    thread_id = _start(actor, account_id, category='dispute_charge', link=f'charge:{charge_id}')
    with write_session() as session:
        compose.mark_resolved(session, actor=actor, thread_id=thread_id)
    with read_session() as session:
        thread = session.get(MessageThread, thread_id)
        flags = session.exec(select(AccountFlag).where(AccountFlag.account_id == account_id)).all()
    assert (thread.status, thread.charge_id, thread.expected_reply_by) == (ThreadStatus.resolved, charge_id, None)
    assert thread.patient_id is not None  # the patient the charge is for
    assert [(flag.kind, flag.cleared_at) for flag in flags] == [(FlagKind.dispute, None)]
    with write_session() as session:  # writing again reopens it
        compose.reply(session, actor=actor, thread_id=thread_id, body='Still wrong.')
    with read_session() as session:
        assert session.get(MessageThread, thread_id).status == ThreadStatus.open


def test_a_link_must_be_the_accounts_own(db: str) -> None:
    actor, account_id = _patient()
    _, other_account = _patient()
    [foreign_charge] = make_charges(other_account, [100])
    for link in (f'charge:{foreign_charge}', 'charge:99999999', 'payment:abc', 'statement:1', 'charge:'):
        with pytest.raises(ValidationFailed, match='from this account'):
            _start(actor, account_id, link=link)
    with read_session() as session:
        assert session.exec(select(MessageThread)).all() == []


def _statement_with_a_charge(account) -> tuple[int, int]:  # noqa: ANN001
    """A February statement of one $80 charge on the account: (statement id, charge id)."""
    [charge_id] = make_charges(account, [8000])
    with write_session() as session:
        statement = Statement(account_id=account.id, period='2026-02', statement_date=date(2026, 2, 1),
                              due_date=date(2026, 2, 22), new_charges=8000, new_balance=8000, amount_due=8000,
                              quick_pay_code=f'MSG{account.id:09d}')
        session.add(statement)
        session.flush()
        return statement.id, charge_id


def test_ask_about_a_charge_joins_the_open_thread_and_shows_in_the_inbox(db: str) -> None:
    account, _ = make_account()
    user = make_user(account=account)
    actor = Actor(user.id, 'patient')
    statement_id, charge_id = _statement_with_a_charge(account)
    ids = set()
    for body in ('What is this?', 'Also, why so much?'):
        with write_session() as session:
            ids.add(compose.ask_about_charge(session, actor=actor, statement_id=statement_id, charge_id=charge_id,
                                             body=body))
    [thread_id] = ids
    with read_session() as session:
        [row] = inbox.inbox(session, actor=actor).rows
    assert (row.id, row.category, row.preview) == (thread_id, ThreadCategory.billing_question, 'Also, why so much?')


def test_a_staff_reply_emails_the_patient_once_an_hour_without_content(db: str, monkeypatch) -> None:  # noqa: ANN001
    actor, account_id = _patient()
    thread_id = _start(actor, account_id)
    _staff_reply(thread_id, 'Your balance is $80 for the MRI.')
    _staff_reply(thread_id, 'Following up.')
    with read_session() as session:
        sent = session.exec(select(Notification).where(Notification.template == 'new_message')).all()
    assert len(sent) == 1 and 'MRI' not in sent[0].context_json and '$80' not in sent[0].context_json
    later = sent[0].created_at + timedelta(hours=1, minutes=1)
    monkeypatch.setattr(notices, 'utcnow', lambda: later)  # an hour later, another reply emails again
    _staff_reply(thread_id, 'Any questions?')
    with read_session() as session:
        assert len(session.exec(select(Notification).where(Notification.template == 'new_message')).all()) == 2


def test_the_badge_the_inbox_and_the_home_card_agree(db: str) -> None:
    from portal.services import home
    actor, account_id = _patient()
    first, second = _start(actor, account_id, key='a'), _start(actor, account_id, key='b')
    for thread_id in (first, second, second):
        _staff_reply(thread_id)
    with read_session() as session:
        view = inbox.inbox(session, actor=actor)
        assert [row.unread for row in view.rows] == [2, 1]
        assert view.unread_total == inbox.unread_total(session, actor=actor) == 3
        assert home.account_home(session, actor=actor, account_id=account_id).unread_messages == 3
    with write_session() as session:
        compose.open_thread(session, actor=actor, thread_id=second)
    with read_session() as session:
        assert inbox.unread_total(session, actor=actor) == 1
        assert inbox.inbox(session, actor=actor).rows[0].preview == 'Thanks, we are looking into it.'


def test_the_preview_is_the_first_line_as_text() -> None:
    assert inbox.preview_of('\n\n  <b>Hi</b> there  \nsecond line') == '<b>Hi</b> there'
    assert inbox.preview_of('y' * 300).endswith('…') and len(inbox.preview_of('y' * 300)) == 100
    assert col  # keeps the import for readers of the queries above


def test_a_double_click_at_the_same_moment_posts_once(db: str) -> None:
    from concurrent.futures import ThreadPoolExecutor
    actor, account_id = _patient()
    thread_id = _start(actor, account_id)

    def send_reply(_: int) -> int:
        with write_session() as session:
            return compose.reply(session, actor=actor, thread_id=thread_id, body='Same click',
                                 idempotency_key='both-at-once')

    def send_new(_: int) -> int:
        return _start(actor, account_id, key='new-at-once')

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert len(set(pool.map(send_reply, range(4)))) == 1
        assert len(set(pool.map(send_new, range(4)))) == 1
    with read_session() as session:
        assert len(session.exec(select(Message).where(Message.body == 'Same click')).all()) == 1
        assert len(session.exec(select(MessageThread)).all()) == 2


def test_a_question_about_a_charge_carries_files_and_a_refused_file_stores_nothing(db: str) -> None:
    from portal.models import StoredFile
    from portal.services.files import FileRefused
    from tests.support import uploads
    account, _ = make_account()
    actor = Actor(make_user(account=account).id, 'patient')
    statement_id, charge_id = _statement_with_a_charge(account)
    with pytest.raises(FileRefused), write_session() as session:
        compose.ask_about_charge(session, actor=actor, statement_id=statement_id, charge_id=charge_id,
                                 body='See my EOB', files=[('eob.jpg', uploads.executable())])
    with read_session() as session:
        assert session.exec(select(MessageThread).where(MessageThread.charge_id == charge_id)).all() == []
    with write_session() as session:
        thread_id = compose.ask_about_charge(session, actor=actor, statement_id=statement_id, charge_id=charge_id,
                                             body='See my EOB', files=[('eob.pdf', uploads.pdf())])
    with read_session() as session:
        message = session.exec(select(Message).where(Message.thread_id == thread_id)).one()
        assert session.exec(select(StoredFile.name).where(StoredFile.owner_kind == 'message',
                                                          StoredFile.owner_id == message.id)).all() == ['eob.pdf']
