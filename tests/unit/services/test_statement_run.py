"""Statement runs: one statement per account and month however often it runs, holds skipped,
28 days apart, the previous one superseded, paperless accounts emailed without PHI."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlmodel import col, select

from portal.auth.permissions import Actor
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.models import AccountFlag, AuditEvent, JobRun, Notification, Patient, Statement, StatementRun
from portal.models.accounts import FlagKind
from portal.services.statement_run import QUICK_PAY_ALPHABET, recent_runs, run_statements
from tests.factories import make_account, make_user, make_visit

DAY = date(2026, 3, 10)


def _owing(**fields):  # noqa: ANN003, ANN202
    account, patients = make_account(**fields)
    make_visit(account=account, patient=patients[0], date_of_service=DAY - timedelta(days=5),
               lines=[('99213', 'Office visit', 15500)])
    return account


def _statements(account_id: int) -> list[Statement]:
    with read_session() as session:
        return list(session.exec(select(Statement).where(Statement.account_id == account_id)
                                 .order_by(col(Statement.id))))


def test_a_run_twice_gives_one_statement_per_account(db: str) -> None:
    owing, settled = _owing(), make_account()[0]
    first = run_statements(on=DAY)
    second = run_statements(on=DAY)
    assert (first.statements_created, second.statements_created) == (1, 0)
    assert len(_statements(owing.id)) == 1 and _statements(settled.id) == []
    statement = _statements(owing.id)[0]
    assert (statement.period, statement.new_charges, statement.new_balance, statement.amount_due) == \
        ('2026-03', 15500, 15500, 15500)
    assert len(statement.quick_pay_code) == 12 and set(statement.quick_pay_code) <= set(QUICK_PAY_ALPHABET)
    with read_session() as session:
        runs = session.exec(select(StatementRun).order_by(col(StatementRun.id))).all()
    assert [(run.state, run.statements_created) for run in runs] == [('finished', 1), ('finished', 0)]


def test_accounts_on_statement_hold_are_skipped(db: str) -> None:
    held, cleared = _owing(), _owing()
    with write_session() as session:
        session.add(AccountFlag(account_id=held.id, kind=FlagKind.statement_hold, reason='billing review'))
        session.add(AccountFlag(account_id=cleared.id, kind=FlagKind.statement_hold, cleared_at=utcnow()))
    result = run_statements(on=DAY)
    assert result.skipped_on_hold == 1
    assert _statements(held.id) == [] and len(_statements(cleared.id)) == 1


def test_statements_are_28_days_apart_and_supersede_the_last(db: str) -> None:
    account = _owing()
    run_statements(on=DAY)
    with read_session() as session:  # a new charge after the first statement
        patient = session.exec(select(Patient).where(Patient.account_id == account.id)).one()
    make_visit(account=account, patient=patient, date_of_service=DAY + timedelta(days=3),
               lines=[('36415', 'Blood draw', 2200)])
    early = run_statements(on=date(2026, 4, 2))  # a new month, but only 23 days later
    assert early.statements_created == 0
    later = run_statements(on=date(2026, 4, 8))
    assert later.statements_created == 1
    first, second = _statements(account.id)
    assert first.superseded_at is not None and second.superseded_at is None
    assert (second.previous_balance, second.new_charges, second.new_balance) == (15500, 2200, 17700)
    assert second.first_entry_id == first.last_entry_id


def test_paperless_accounts_get_one_email_without_phi(db: str) -> None:
    paperless = _owing(email='maria@example.com', paperless=True)
    paper = _owing(email='sam@example.com')
    run_statements(on=DAY)
    run_statements(on=DAY)
    statement = _statements(paperless.id)[0]
    assert statement.delivery == 'email' and _statements(paper.id)[0].delivery == 'paper'
    with read_session() as session:
        emails = session.exec(select(Notification)).all()
    assert len(emails) == 1
    email = emails[0]
    assert (email.template, email.recipient, email.dedupe_key) == \
        ('statement_ready', 'maria@example.com', f'statement-ready:{statement.id}')
    context = json.loads(email.context_json)
    assert set(context) == {'first_name', 'link'} and context['link'].endswith(f'/statements/{statement.id}')


def test_the_scheduled_job_runs_once_a_day(db: str, monkeypatch) -> None:  # noqa: ANN001
    from portal.jobs import statements as job
    monkeypatch.setattr(job, 'load_practice_today', lambda: DAY)
    account = _owing()
    job.run()
    job.run()
    assert len(_statements(account.id)) == 1
    with read_session() as session:
        runs = session.exec(select(JobRun).where(JobRun.job == 'statement_run')).all()
    assert [(run.key, run.outcome, run.items) for run in runs] == [(DAY.isoformat(), 'ok', 1)]


def test_a_run_cut_short_long_ago_is_marked_interrupted(db: str) -> None:
    with write_session() as session:
        session.add(StatementRun(period='2026-02', started_at=utcnow() - timedelta(hours=7)))
    run_statements(on=DAY)
    with read_session() as session:
        states = session.exec(select(StatementRun.state).order_by(col(StatementRun.id))).all()
    assert states == ['interrupted', 'finished']


def test_a_failed_batch_is_counted_and_a_rerun_issues_it(db: str, monkeypatch) -> None:  # noqa: ANN001
    from portal.services import statement_run
    account = _owing()
    original = statement_run._write_batch

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError('disk full')

    monkeypatch.setattr(statement_run, '_write_batch', broken)
    failed = run_statements(on=DAY)
    assert (failed.statements_created, failed.errors) == (0, 1)
    monkeypatch.setattr(statement_run, '_write_batch', original)
    assert run_statements(on=DAY).statements_created == 1
    assert len(_statements(account.id)) == 1
    with read_session() as session:
        errors = session.exec(select(StatementRun.errors).order_by(col(StatementRun.id))).all()
    assert errors == [1, 0]


def test_an_entry_still_committing_when_a_run_starts_is_on_that_statement(db: str) -> None:
    """PostgreSQL hands out ledger ids before commit: the run waits for an insert in flight rather than
    leave its entry on neither this statement nor the next (the statement identity would break)."""
    import threading

    import pytest

    from portal.db import get_engine, is_sqlite
    from portal.services import ledger
    if is_sqlite(get_engine()):
        pytest.skip('SQLite has one writer at a time')
    account = _owing()
    result: dict[str, object] = {}
    with write_session() as session:  # an insert in flight: its id is taken, its commit comes later
        ledger.post(session, account_id=account.id, kind='charge', amount=4000, external_ref='late-charge',
                    effective_date=DAY)
        session.flush()
        newer = _owing()  # commits meanwhile with a higher id
        runner = threading.Thread(target=lambda: result.update(run=run_statements(on=DAY)))
        runner.start()
        runner.join(timeout=1.5)
        assert runner.is_alive()  # waiting for the insert in flight
    runner.join(timeout=30)
    assert result['run'].statements_created == 2
    assert _statements(account.id)[0].new_balance == 15500 + 4000
    assert _statements(newer.id)[0].new_balance == 15500


def test_only_staff_start_a_run_or_list_runs_and_a_refusal_is_audited_once(db: str) -> None:
    account = _owing()
    patient, staff = make_user(account=account.id), make_user(role='staff')
    with pytest.raises(NotFound):
        run_statements(actor=Actor(patient.id, 'patient'), on=DAY)
    with pytest.raises(NotFound), write_session() as session:
        recent_runs(session, actor=Actor(patient.id, 'patient'))
    assert _statements(account.id) == []
    with read_session() as session:
        refused = session.exec(select(AuditEvent.action).where(AuditEvent.outcome == 'denied')).all()
        assert sorted(refused) == ['statement_run', 'view_statement_runs']
        assert session.exec(select(StatementRun)).all() == []
    result = run_statements(actor=Actor(staff.id, 'staff'), on=DAY)
    assert result.statements_created == 1
    with write_session() as session:
        [row] = recent_runs(session, actor=Actor(staff.id, 'staff'))
        assert (row.id, row.statements_created, session.get(StatementRun, row.id).started_by_user_id) == \
            (result.run_id, 1, staff.id)
