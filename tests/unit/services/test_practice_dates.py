"""Issue 12 item 5: every date a person reads is the practice's calendar day (`clock.practice_day`), not the
UTC one. Something that happened at 23:15 in Chicago (and on both daylight-saving change days) reads that day
in a message's link, the staff worklists and their CSV, the dashboard's periods, rows and CSV, the patient's
insurance page ("checked on") and the key of a once-a-day job run. The receipt, payment history, staff account
page and plan queues are in test_payment_history.py."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.jobs.runs import claimed_run
from portal.models import (
    AccountFlag,
    AuthorRole,
    Claim,
    FlagKind,
    JobRun,
    Message,
    MessageThread,
    Payment,
    PaymentAttempt,
    PaymentPlan,
    ThreadCategory,
)
from portal.models.insurance import Coverage, Payer
from portal.services import coverage, dashboard_rows
from portal.services.dashboard import Filters
from portal.services.desk import worklists
from portal.services.messaging import links
from tests.factories import make_account, make_charges, make_claim, make_user

CHICAGO = ZoneInfo('America/Chicago')
# a summer night, the night the clocks go forward, the night they go back
LATE = ['2026-07-13T23:15', '2026-03-08T23:15', '2026-11-01T23:15']
_numbers = iter(range(1, 10_000))


def _at(local: str) -> tuple[date, datetime]:
    """(the practice's day, the UTC instant) of a wall-clock time in Chicago; UTC's day is the next one."""
    at = datetime.fromisoformat(local).replace(tzinfo=CHICAGO).astimezone(UTC)
    day = date.fromisoformat(local[:10])
    assert at.date() == day + timedelta(days=1)
    return day, at


def _later(at: datetime):  # noqa: ANN202  (two days on: the dashboard's period, which ends today, holds `at`)
    return time_machine.travel(at + timedelta(days=2), tick=False)


def _staff() -> Actor:
    return Actor(make_user(role='staff').id, 'staff')


@pytest.mark.parametrize('local', LATE)
def test_a_messages_link_names_the_payment_and_claim_by_the_practice_day(db: str, local: str) -> None:
    day, at = _at(local)
    account, _ = make_account()
    [charge] = make_charges(account, [5000], start=day - timedelta(days=10))
    claim_id = make_claim(charge)
    number = next(_numbers)
    with write_session() as session:
        session.get(Claim, claim_id).submitted_at = at
        session.add(Payment(account_id=account.id, amount=2500, method='card', status='succeeded',
                            receipt_number=f'RLATE{number}', received_at=at))
    with read_session() as session:
        labels = {view.kind: view.label for view in links.choices(session, account.id)}
    shown = f'{day:%B} {day.day}, {day.year}'
    assert f'Payment of $25.00 · {shown} · receipt RLATE{number}' == labels['payment']
    assert labels['claim'].endswith(f' · {shown}')


@pytest.mark.parametrize('local', LATE)
def test_the_staff_worklists_and_their_csv_say_the_practice_day(db: str, local: str) -> None:
    day, at = _at(local)
    account, _ = make_account()
    make_charges(account, [5000], start=day - timedelta(days=40))
    with write_session() as session:
        session.add(PaymentPlan(account_id=account.id, total_amount=5000, installment_amount=2500, months=2,
                                signed_name='Maria Lopez', signed_at=at, terms_version='t', status='delinquent',
                                created_at=at))
        session.add(AccountFlag(account_id=account.id, kind=FlagKind.statement_hold, reason='Called', created_at=at))
        session.add(MessageThread(account_id=account.id, subject='My bill', category=ThreadCategory.billing_question,
                                  last_message_at=at))
    staff = _staff()
    with _later(at), write_session() as session:
        for name in ('plans', 'holds', 'questions'):
            found = worklists.worklist(session, actor=staff, name=name)
            assert [row.since for row in found.rows if row.account_id == account.id] == [day], name
            _, text = worklists.worklist_csv(session, actor=staff, name=name)
            [line] = [line for line in text.splitlines() if line.startswith(account.account_number)]
            assert line.endswith(f',{day.isoformat()}'), (name, line)


@pytest.mark.parametrize('local', LATE)
def test_the_dashboards_periods_rows_and_csv_are_the_practice_days(db: str, local: str) -> None:
    day, at = _at(local)
    account, _ = make_account()
    [charge] = make_charges(account, [5000], start=day - timedelta(days=20))
    claim_id = make_claim(charge, status='denied')
    with write_session() as session:
        session.get(Claim, claim_id).adjudicated_at = at
        plan = PaymentPlan(account_id=account.id, total_amount=5000, installment_amount=2500, months=2,
                           signed_name='Maria Lopez', signed_at=at, terms_version='t', status='active', created_at=at)
        session.add(plan)
        session.flush()
        session.add(PaymentAttempt(account_id=account.id, target=f'installment:{plan.id}:1:try-1', amount=2500,
                                   idempotency_key=f'late-{next(_numbers)}', gateway='demo', status='succeeded',
                                   created_at=at))
        thread = MessageThread(account_id=account.id, subject='My bill')
        session.add(thread)
        session.flush()
        session.add(Message(thread_id=thread.id, author_role=AuthorRole.patient, body='Why?', created_at=at))
        session.add(Message(thread_id=thread.id, author_role=AuthorRole.staff, body='Because.',
                            created_at=at + timedelta(minutes=30)))
    staff = _staff()
    # a period of that one day holds what happened at 23:15 on it (UTC's midnight left it to the next day)
    filters = Filters(start=day, end=day)
    expected = {'plans-active': day.isoformat(), 'autopay-rate': day.isoformat(),
                'denial-rate-claims': day.isoformat(), 'response-time': f'{day.isoformat()} 23:15'}
    with _later(at), write_session() as session:
        for figure, shown in expected.items():
            drill = dashboard_rows.rows_drill(session, actor=staff, figure=figure, filters=filters)
            [row] = [row for row in drill.rows if row.account_id == account.id]
            assert shown in [cell.text for cell in row.cells], (figure, row.cells)
            text = dashboard_rows.rows_csv(session, actor=staff, figure=figure, filters=filters)
            assert shown in text, figure
        drill = dashboard_rows.rows_drill(session, actor=staff, figure='response-time', filters=filters)
        [row] = [row for row in drill.rows if row.account_id == account.id]
        assert row.cells[2].text == f'{(at + timedelta(minutes=30)).astimezone(CHICAGO):%Y-%m-%d %H:%M}'


@pytest.mark.parametrize('local', LATE)
def test_the_insurance_page_says_the_day_the_office_checked_the_card(db: str, local: str) -> None:
    day, at = _at(local)
    account, [patient] = make_account()
    user = make_user(account=account)
    number = next(_numbers)
    with write_session() as session:
        payer = Payer(name='Blue Plan', payer_code=f'LATE{number}')
        session.add(payer)
        session.flush()
        payer_id = payer.id
        session.add(Coverage(patient_id=patient.id, payer_id=payer_id, member_id='XYZ123456', subscriber_name='Maria',
                             changed_at=at - timedelta(hours=2), verified_at=at))
    with read_session() as session:
        [found] = coverage.coverage_page(session, actor=Actor(user.id, 'patient'))
    [view] = [view for person in found.patients for view in person.coverages]
    assert view.verified_on == day
    with read_session() as session:  # the stored instant itself is UTC's next day
        assert session.exec(select(Coverage.verified_at).where(Coverage.payer_id == payer_id)).one() \
            .astimezone(UTC).date() == day + timedelta(days=1)


@pytest.mark.parametrize('local', LATE)
def test_a_job_run_keyed_by_day_takes_the_practice_day(db: str, local: str) -> None:
    day, at = _at(local)
    with time_machine.travel(at, tick=False), claimed_run('statement_run') as handle:
        assert handle is not None
        run_id = handle.id
    with read_session() as session:
        assert session.get(JobRun, run_id).key == day.isoformat()
