"""Autopay with time travel: due installments are charged once, failures retried after 3 and 7 days, then
the plan is past due, the patient is asked to update the method and the account is in the staff queue."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import Notification, Payment, PaymentAttempt, PaymentPlan, PlanInstallment
from portal.notify.outbox import context_of
from portal.payments.demo_gateway import DemoGateway
from portal.services import autopay
from portal.services.plans import signing, tracking
from portal.services.plans.queues import staff_queues
from tests.factories import make_saved_method, make_user
from tests.support.plans import household, sign

SIGNED = '2026-11-20 18:00:00+00:00'  # the plan's first payment is on December 1


def _installments(plan_id: int) -> list[PlanInstallment]:
    with read_session() as session:
        return list(session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                                 .order_by(PlanInstallment.seq)).all())


def _at(day: str) -> time_machine.travel:
    return time_machine.travel(f'{day} 15:00:00+00:00', tick=False)


def test_due_installments_are_charged_once(demo: DemoGateway) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(100_000)
        plan_id = sign(home, months=4)
    with _at('2026-11-30'):
        assert autopay.sweep().charged == 0
    with _at('2026-12-01'):
        assert autopay.sweep().charged == 1
        assert autopay.sweep().charged == 0
    with _at('2027-02-02'):  # the scheduler was down for two months: both due ones are caught up
        assert autopay.sweep().charged == 2
    rows = _installments(plan_id)
    assert [row.status for row in rows] == ['paid', 'paid', 'paid', 'scheduled']
    assert demo.calls['charge'] == 3
    with read_session() as session:
        keys = sorted(session.exec(select(PaymentAttempt.idempotency_key)).all())
        assert keys == [f'plan-{plan_id}-inst-{seq}-try-1' for seq in (1, 2, 3)]
        assert len(session.exec(select(Payment)).all()) == 3
    with _at('2027-03-01'):
        assert autopay.sweep().charged == 1
    with read_session() as session:
        assert session.get(PaymentPlan, plan_id).status == 'completed'


def test_failures_are_retried_after_3_and_7_days_then_the_plan_is_past_due(demo: DemoGateway) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(100_000, behaviour='decline')
        plan_id = sign(home, months=4)
    with _at('2026-12-01'):
        assert autopay.sweep().failed == 1
    assert _installments(plan_id)[0].next_retry_on == date(2026, 12, 4)
    with _at('2026-12-03'):
        assert autopay.sweep().items == 0
    with _at('2026-12-04'):
        assert autopay.sweep().failed == 1
    assert _installments(plan_id)[0].next_retry_on == date(2026, 12, 8)
    with _at('2026-12-08'):
        result = autopay.sweep()
    assert result.delinquent == 1
    first = _installments(plan_id)[0]
    assert (first.status, first.attempts, first.next_retry_on) == ('failed', 3, None)
    with read_session() as session:
        assert session.get(PaymentPlan, plan_id).status == 'delinquent'
        messages = session.exec(select(Notification).order_by(Notification.id)).all()
    assert [message.template for message in messages] == ['payment_failed', 'payment_failed', 'payment_method_update']
    assert context_of(messages[-1])['link'].endswith('/payment-methods')
    assert set(context_of(messages[-1])) == {'first_name', 'amount', 'link'}
    staff = make_user(role='staff')
    with read_session() as session:
        queues = staff_queues(session, actor=Actor(staff.id, 'staff'))
    assert [row.plan_id for row in queues.delinquent] == [plan_id]
    with _at('2026-12-09'):
        assert autopay.sweep().items == 0  # a past-due plan is not charged again by itself
        good = make_saved_method(home.account_id, behaviour='succeed')
        with write_session() as session:
            tracking.change_autopay(session, actor=home.actor, plan_id=plan_id, method_id=good.id)
        assert autopay.sweep().charged == 1
    first = _installments(plan_id)[0]
    assert (first.status, first.attempts) == ('paid', 4)
    with read_session() as session:
        assert session.get(PaymentPlan, plan_id).status == 'active'


def test_a_bank_asking_to_confirm_gets_an_email_with_a_link(demo: DemoGateway) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(100_000, behaviour='authenticate')
        sign(home, months=4)
    with _at('2026-12-01'):
        assert autopay.sweep().outcomes == {'requires_action': 1}
    with read_session() as session:
        message = session.exec(select(Notification)).one()
    assert message.template == 'payment_action_needed' and context_of(message)['link'].endswith('/plans')


def test_a_claimed_attempt_interrupted_before_the_charge_resumes_with_the_same_key(demo: DemoGateway) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(100_000)
        plan_id = sign(home, months=4)
    with _at('2026-12-01'):
        first = _installments(plan_id)[0]
        with write_session() as session:  # the process died right after the claim committed
            claim = autopay._claim(session, first.id, date(2026, 12, 1))
        assert claim.key == f'plan-{plan_id}-inst-1-try-1'
        assert autopay.sweep().charged == 1
    assert demo.calls['charge'] == 1
    assert _installments(plan_id)[0].attempts == 1


def test_payments_by_hand_count_and_a_plan_paid_by_hand_goes_past_due_when_missed(demo: DemoGateway) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(100_000)
        plan_id = sign(home, months=4, autopay=False)
    with _at('2026-12-07'):
        assert autopay.sweep().delinquent == 0
    with _at('2026-12-08'):
        assert autopay.sweep().delinquent == 1
    assert demo.calls.get('charge', 0) == 0
    with read_session() as session:
        assert session.get(PaymentPlan, plan_id).status == 'delinquent'


def test_the_command_runs_the_sweep_and_records_the_run(demo: DemoGateway, capsys: pytest.CaptureFixture) -> None:
    from portal import cli
    from portal.models import JobRun
    with time_machine.travel(SIGNED, tick=False):
        sign(household(100_000), months=4)
    with _at('2026-12-01'):
        assert cli.main(['autopay']) == 0
    assert 'Autopay: 1 charged, 0 failed' in capsys.readouterr().out
    with read_session() as session:
        run = session.exec(select(JobRun).where(JobRun.job == 'autopay_installments')).one()
    assert (run.outcome, run.items) == ('ok', 1)


def test_a_down_payment_is_charged_right_after_signing(demo: DemoGateway) -> None:
    home = household(100_000, policy={'down_payment_percent': 10})
    plan_id = sign(home, months=3)
    assert autopay.process_plan(plan_id).charged == 1
    rows = _installments(plan_id)
    assert [(row.seq, row.amount, row.status) for row in rows] == [
        (0, 10_000, 'paid'), (1, 30_000, 'scheduled'), (2, 30_000, 'scheduled'), (3, 30_000, 'scheduled')]


def test_an_unanswered_charge_is_resumed_with_the_same_key(demo: DemoGateway,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.payments.gateway import GatewayError
    with time_machine.travel(SIGNED, tick=False):
        plan_id = sign(household(100_000), months=4)
    original = demo.charge_off_session
    calls: list[str] = []

    def flaky(charge):  # noqa: ANN001, ANN202  (the network fails after the gateway charged)
        calls.append(charge.idempotency_key)
        state = original(charge)
        if len(calls) == 1:
            raise GatewayError('The payment service did not answer.', retryable=True)
        return state

    monkeypatch.setattr(demo, 'charge_off_session', flaky)
    with _at('2026-12-01'):
        assert autopay.sweep().outcomes == {'processing': 1}
    with _at('2026-12-02'):
        assert autopay.sweep().charged == 1
    assert calls == [f'plan-{plan_id}-inst-1-try-1'] * 2 and demo.calls['charge'] == 1
    first = _installments(plan_id)[0]
    assert (first.status, first.attempts) == ('paid', 1)


@pytest.mark.parametrize('on_autopay', [True, False])
def test_signing_a_plan_charges_its_down_payment_on_autopay(demo: DemoGateway, on_autopay: bool) -> None:
    home = household(100_000, policy={'down_payment_percent': 10})
    plan_id = signing.sign(actor=home.actor, account_id=home.account_id, day_of_month=1, months=3,
                           signed_name='maria alvarez', consent=True,
                           autopay_method_id=home.method_id if on_autopay else None)
    assert [(row.seq, row.status) for row in _installments(plan_id)][:2] == [
        (0, 'paid' if on_autopay else 'scheduled'), (1, 'scheduled')]
    assert autopay.process_plan(plan_id).charged == 0  # nothing left due today
