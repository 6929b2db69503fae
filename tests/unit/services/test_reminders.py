"""The daily reminder sweeps, with time travel: what is queued when, and that reruns queue nothing twice;
the senders' send-time checks suppress what was paid, cancelled or turned off meanwhile."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import time_machine
from sqlmodel import select

from portal.db import write_session
from portal.jobs import reminders
from portal.models import Appointment, Location, Patient, PaymentPlan, PlanInstallment, PracticeSettings, Provider
from portal.notify.outbox import enqueue
from portal.services import delivery
from tests.support.notify_data import billed_household, choose, keys, outbox, pay_off

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
DUE = date(2026, 3, 23)


def at(moment: datetime):  # noqa: ANN201
    return time_machine.travel(moment, tick=False)


def day(offset: int) -> datetime:
    """15:00 UTC (09:00 in the practice) on DUE + offset days."""
    return datetime.combine(DUE + timedelta(days=offset), START.timetz())


def test_a_new_statement_is_announced_once(db: str) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        assert reminders.run() == 1
        assert reminders.run() == 0
    [row] = outbox()
    assert (row.dedupe_key, row.template, row.recipient) == (
        f'statement-ready:{household.statement_id}', 'statement_ready', household.email)
    assert row.user_id == household.user_id and row.account_id == household.account_id


def test_a_statement_the_statement_run_announced_is_not_announced_again(db: str) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        with write_session() as session:
            enqueue(session, channel='email', template='statement_ready', recipient=household.email,
                    dedupe_key=f'statement-ready:{household.statement_id}', context={'first_name': 'Maria',
                                                                                     'link': 'http://x/'})
        assert reminders.run() == 0


def test_due_soon_then_each_ladder_step_once(db: str) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        reminders.run()
    sid = household.statement_id
    with at(day(-4)):
        assert reminders.run() == 0
    with at(day(-3)):
        assert reminders.run() == 1
    with at(day(-1)):
        assert reminders.run() == 0
    expected = [f'statement-ready:{sid}', f'statement-due:{sid}']
    for offset, step in ((29, None), (30, 30), (31, None), (59, None), (60, 60), (75, None), (90, 90),
                         (119, None), (121, None)):
        with at(day(offset)):
            reminders.run()
        if step:
            expected.append(f'statement-overdue:{sid}:{step}')
        assert keys() == expected, offset


def test_a_missed_run_sends_only_the_highest_step_reached(db: str) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
    with at(day(65)):
        reminders.run()
    assert [key for key in keys() if 'overdue' in key] == [f'statement-overdue:{household.statement_id}:60']


def test_the_ladder_is_the_practice_setting(db: str) -> None:
    with write_session() as session:
        session.add(PracticeSettings(name='Riverside', reminder_ladder='15,45'))
    with at(START):
        household = billed_household(due_date=DUE)
    for offset in (15, 30, 45, 60):
        with at(day(offset)):
            reminders.run()
    sid = household.statement_id
    assert [key for key in keys() if 'overdue' in key] == [f'statement-overdue:{sid}:15',
                                                           f'statement-overdue:{sid}:45']


def test_nobody_is_reminded_of_a_bill_they_paid(sent: list[dict]) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        reminders.run()
    with at(day(-3)):
        reminders.run()  # queues the due-soon reminder
        pay_off(household)  # paid before the sender ran
        delivery.deliver_pending()
    statuses = {row.template: (row.status, row.last_error) for row in outbox()}
    assert statuses == {'statement_ready': ('suppressed', 'nothing owed'),
                        'statement_due': ('suppressed', 'nothing owed')}
    assert sent == []
    with at(day(30)):
        assert reminders.run() == 0  # no overdue step either


def test_reminders_follow_preferences(db: str) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        choose(household, statement={'email': False})
        assert reminders.run() == 0
    with at(day(-3)):
        assert reminders.run() == 1  # reminders are still on


def test_a_reminder_turned_off_after_it_was_queued_is_suppressed(sent: list[dict]) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        reminders.run()
        choose(household, statement={'email': False})
        delivery.deliver_pending()
    [row] = outbox()
    assert (row.status, row.last_error) == ('suppressed', 'turned off in preferences')
    assert sent == []


def _plan(household, *, due: date) -> int:  # noqa: ANN001
    with write_session() as session:
        plan = PaymentPlan(account_id=household.account_id, total_amount=12500, installment_amount=2500, months=5,
                           signed_name='Maria Okafor', signed_at=START, terms_version='2026-01')
        session.add(plan)
        session.flush()
        installment = PlanInstallment(plan_id=plan.id, seq=1, due_date=due, amount=2500)
        session.add(installment)
        session.flush()
        return installment.id


def test_installment_reminder_three_days_ahead_and_not_once_paid(sent: list[dict]) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        installment_id = _plan(household, due=date(2026, 4, 10))
        reminders.run()  # the plan covers the statement: no due or overdue reminders for it
    with at(datetime(2026, 4, 6, 15, tzinfo=UTC)):
        reminders.run()
        assert f'installment-due:{installment_id}' not in keys()
    with at(datetime(2026, 4, 7, 15, tzinfo=UTC)):
        reminders.run()
        pay_off(household)  # straight onto the ledger: the send-time check asks it, not the installment's status
        delivery.deliver_pending()
    rows = {row.dedupe_key: row.status for row in outbox()}
    assert rows[f'installment-due:{installment_id}'] == 'suppressed'
    assert not [key for key in rows if key.startswith(('statement-due', 'statement-overdue'))]


def _appointment(household, starts_at: datetime) -> int:  # noqa: ANN001
    with write_session() as session:
        provider = Provider(npi=f'{int(starts_at.timestamp()) % 10**10:010d}', first_name='Ana', last_name='Reyes')
        location = Location(name='Main clinic')
        session.add(provider)
        session.add(location)
        session.flush()
        patient_id = session.exec(select(Patient.id).where(Patient.account_id == household.account_id)).one()
        appointment = Appointment(account_id=household.account_id, patient_id=patient_id, provider_id=provider.id,
                                  location_id=location.id, starts_at=starts_at)
        session.add(appointment)
        session.flush()
        return appointment.id


def test_appointment_tomorrow_and_suppressed_when_cancelled(sent: list[dict]) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        pay_off(household)
        tomorrow = _appointment(household, datetime(2026, 3, 3, 16, 30, tzinfo=UTC))
        later = _appointment(household, datetime(2026, 3, 5, 16, 30, tzinfo=UTC))
        reminders.run()
        reminders.run()
        assert keys() == [f'appointment-tomorrow:{tomorrow}:20260303T1630Z']
        with write_session() as session:
            session.get(Appointment, tomorrow).status = 'cancelled'
        delivery.deliver_pending()
    assert [row.status for row in outbox()] == ['suppressed']
    with at(datetime(2026, 3, 4, 15, tzinfo=UTC)):
        reminders.run()
        delivery.deliver_pending()
    assert keys()[-1] == f'appointment-tomorrow:{later}:20260305T1630Z'
    assert [message['subject'] for message in sent] == [
        'Reminder: your appointment with Riverside Family Medicine is tomorrow']
    assert f'/documents/appointments/{later}.ics' in sent[0]['body']


def test_a_moved_visit_gets_a_fresh_reminder_and_the_old_one_is_held_back(sent: list[dict]) -> None:
    with at(START):
        household = billed_household(due_date=DUE)
        pay_off(household)
        visit = _appointment(household, datetime(2026, 3, 3, 16, 30, tzinfo=UTC))
        reminders.run()
        with write_session() as session:  # moved to 18:00 the same day, before the first was sent
            session.get(Appointment, visit).starts_at = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
        reminders.run()
        delivery.deliver_pending()
    assert {row.dedupe_key: row.status for row in outbox()} == {
        f'appointment-tomorrow:{visit}:20260303T1630Z': 'suppressed',
        f'appointment-tomorrow:{visit}:20260303T1800Z': 'sent'}
    assert len(sent) == 1
