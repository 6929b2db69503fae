"""Migration 0011_messaging on SQLite and PostgreSQL: old threads (kind general / charge_question / dispute,
status open / closed, read stamps per message) become categories, statuses and per-recipient read state,
and back on downgrade."""
from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import text

from portal.db import alembic_config, read_session, write_session
from tests.factories import make_account, make_user

T0 = '2026-03-02 15:00:00.000000'


def _rows(sql: str, **params: object) -> list[tuple]:
    with read_session() as session:
        return [tuple(row) for row in session.connection().execute(text(sql), params).all()]


def test_threads_and_read_stamps_migrate_both_ways(db: str) -> None:
    account, _ = make_account()
    patient = make_user(account=account)
    staff = make_user(role='staff')
    command.downgrade(alembic_config(db), '0010_chargeback_flag')
    with write_session() as session:
        run = session.connection().execute
        threads = [(1, 'general', 'open', ['patient', 'staff'], [True, False]),  # office answered, unread
                   (2, 'charge_question', 'open', ['patient'], [True]),  # office owes a reply
                   (3, 'dispute', 'closed', ['patient', 'staff', 'patient'], [True, True, True])]
        message_id = 100
        for thread_id, kind, status, authors, read in threads:
            run(text('INSERT INTO message_thread (id, account_id, subject, kind, status, created_by_user_id, '
                     'assigned_to_user_id, created_at, last_message_at) VALUES (:id, :a, :s, :k, :st, :p, :staff, '
                     ':t, :t)'), {'id': thread_id, 'a': account.id, 's': f'Thread {thread_id}', 'k': kind,
                                  'st': status, 'p': patient.id, 'staff': staff.id, 't': T0})
            for author, was_read in zip(authors, read, strict=True):
                message_id += 1
                by_patient = author == 'patient' or was_read
                by_staff = author == 'staff' or was_read
                run(text('INSERT INTO message (id, thread_id, author_user_id, author_role, body, created_at, '
                         'read_by_patient_at, read_by_staff_at) VALUES (:id, :th, :u, :r, :b, :t, :rp, :rs)'),
                    {'id': message_id, 'th': thread_id, 'u': patient.id if author == 'patient' else staff.id,
                     'r': author, 'b': 'text', 't': T0, 'rp': T0 if by_patient else None,
                     'rs': T0 if by_staff else None})
    command.upgrade(alembic_config(db), 'head')
    assert _rows('SELECT id, category, status FROM message_thread ORDER BY id') == [
        (1, 'other', 'waiting_on_patient'), (2, 'billing_question', 'open'), (3, 'dispute_charge', 'resolved')]
    marks = dict(((thread, user), upto) for thread, user, upto in
                 _rows('SELECT thread_id, user_id, last_read_message_id FROM thread_read'))
    assert marks == {(1, patient.id): 101, (1, staff.id): 102, (2, patient.id): 103, (2, staff.id): 103,
                     (3, patient.id): 106, (3, staff.id): 106}
    assert _rows('SELECT COUNT(*) FROM message WHERE internal_note') == [(0,)]
    with write_session() as session:  # an internal note written after the upgrade never reaches a patient
        session.connection().execute(text(
            "INSERT INTO message (id, thread_id, author_user_id, author_role, body, internal_note, created_at) "
            "VALUES (200, 1, :s, 'staff', 'note', :yes, :t)"), {'s': staff.id, 'yes': True, 't': T0})
    command.downgrade(alembic_config(db), '0010_chargeback_flag')
    assert _rows('SELECT id, kind, status FROM message_thread ORDER BY id') == [
        (1, 'general', 'open'), (2, 'charge_question', 'open'), (3, 'dispute', 'closed')]
    assert _rows('SELECT id, read_by_patient_at IS NOT NULL, read_by_staff_at IS NOT NULL FROM message ORDER BY id'
                 ) == [(101, True, True), (102, False, True), (103, True, True), (104, True, True),
                       (105, True, True), (106, True, True)]
    command.upgrade(alembic_config(db), 'head')


def test_the_old_attachment_table_goes_and_comes_back_empty(db: str) -> None:
    """0015 drops the never-written `attachment` table (and coverage's card columns); rows added by hand
    stop the upgrade instead of being lost."""
    def tables() -> set[str]:
        with read_session() as session:
            return set(sa_inspect(session.connection()).get_table_names())

    assert 'attachment' not in tables() and 'stored_file' in tables()
    account, _ = make_account()  # at head: the models are the newest schema's
    command.downgrade(alembic_config(db), '0014_live_events')
    assert 'attachment' in tables()
    with read_session() as session:
        columns = {column['name'] for column in sa_inspect(session.connection()).get_columns('coverage')}
    assert {'card_front_attachment_id', 'card_back_attachment_id'} <= columns
    with write_session() as session:
        session.connection().execute(text(
            "INSERT INTO attachment (account_id, filename, content_type, size_bytes, storage_key, sha256, created_at) "
            "VALUES (:a, 'x.pdf', 'application/pdf', 1, 'k', 'h', :t)"), {'a': account.id, 't': T0})
    with pytest.raises(RuntimeError, match='1 row'):
        command.upgrade(alembic_config(db), 'head')
    with write_session() as session:
        session.connection().execute(text('DELETE FROM attachment'))
    command.upgrade(alembic_config(db), 'head')
    assert 'attachment' not in tables()


def test_open_threads_without_a_reply_date_get_one(db: str) -> None:
    """0022_reply_dates: an open thread migrated without an expected reply date gets 2 business days after
    the practice's day (Chicago) of the first unanswered patient message; other threads keep theirs."""
    from datetime import UTC, date, datetime

    from portal.models import Message, MessageThread
    from portal.models.messaging import AuthorRole, ThreadCategory, ThreadStatus
    account, _ = make_account()
    patient, staff = make_user(account=account), make_user(role='staff')

    def thread(status: ThreadStatus, messages: list[tuple[str, str]], expected: date | None = None) -> int:
        with write_session() as session:
            row = MessageThread(account_id=account.id, subject='Bill', category=ThreadCategory.other, status=status,
                                created_by_user_id=patient.id, expected_reply_by=expected,
                                created_at=datetime(2026, 6, 1, tzinfo=UTC))
            session.add(row)
            session.flush()
            for who, at in messages:
                session.add(Message(thread_id=row.id, author_user_id=patient.id if who == 'patient' else staff.id,
                                    author_role=AuthorRole.patient if who == 'patient' else AuthorRole.staff,
                                    internal_note=who == 'note', body='text',
                                    created_at=datetime.fromisoformat(f'{at}+00:00')))
                session.flush()
            return int(row.id)

    answered_then_asked = thread(ThreadStatus.open, [('patient', '2026-06-20 15:00'), ('staff', '2026-06-21 15:00'),
                                                     ('patient', '2026-07-01 03:00'), ('patient', '2026-07-05 15:00')])
    noted = thread(ThreadStatus.open, [('patient', '2026-07-02 20:00'), ('note', '2026-07-03 15:00')])
    waiting = thread(ThreadStatus.waiting_on_patient, [('patient', '2026-07-02 20:00'), ('staff', '2026-07-03 15:00')])
    dated = thread(ThreadStatus.open, [('patient', '2026-07-02 20:00')], expected=date(2026, 1, 5))
    empty = thread(ThreadStatus.open, [])
    with write_session() as session:  # as 0011 left them: open without a date
        for thread_id in (answered_then_asked, noted, empty):
            session.get(MessageThread, thread_id).expected_reply_by = None
    command.downgrade(alembic_config(db), '0021_desk')
    command.upgrade(alembic_config(db), 'head')
    found = dict(_rows('SELECT id, expected_reply_by FROM message_thread'))
    as_dates = {key: value if value is None or isinstance(value, date) else date.fromisoformat(value)
                for key, value in found.items()}
    # Tue June 30 22:00 in Chicago -> Wed 1, Thu 2; Thu July 2 -> (Fri 3 is the observed Fourth) Mon 6, Tue 7
    assert as_dates == {answered_then_asked: date(2026, 7, 2), noted: date(2026, 7, 7), waiting: None,
                        dated: date(2026, 1, 5), empty: date(2026, 6, 2)}
