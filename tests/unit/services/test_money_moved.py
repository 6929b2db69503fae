"""Plans follow the ledger after every posting (issue 9, item 3): bank money still processing covers a plan's
installments as processing, never as paid; the plan completes when it settles; a payment the bank returns
reopens what it covered, makes the plan past due by its dates, emails the account holder and shows in the
staff queue. Every writer of the ledger (card, bank, cash, refund) runs the same step."""
from __future__ import annotations

import time

import pytest
import time_machine
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AuditEvent, InstallmentStatus, Notification, Payment, PaymentPlan, PlanInstallment
from portal.notify.outbox import context_of
from portal.payments.demo_gateway import DemoGateway
from portal.payments.gateway import GatewayEvent
from portal.services.payments import new_key, process_events
from portal.services.payments.staff import record_offline_payment
from portal.services.plans import tracking
from portal.services.plans.queues import staff_queues
from tests.factories import make_saved_method, make_user
from tests.support.payments import confirm_and_pay
from tests.support.plans import Household, household, sign

SIGNED = '2026-11-20 18:00:00+00:00'  # 4 x $150, the first on December 1


def _at(day: str) -> time_machine.travel:
    return time_machine.travel(f'{day} 15:00:00+00:00', tick=False)


def _plan_paid_off_by_bank() -> tuple[Household, int, Payment]:
    """A 4 x $150 plan, then the whole $600 paid on /pay with a saved bank account (processing)."""
    with time_machine.travel(SIGNED, tick=False):
        home = household(60_000)
        plan_id = sign(home, months=4, autopay=False)
        bank = make_saved_method(home.account_id, behaviour='bank', is_default=False)
        result = confirm_and_pay(actor=home.actor, account_id=home.account_id, choice='full',
                               idempotency_key=new_key(), method_id=bank.id)
    assert result.outcome is not None and result.outcome.status == 'processing'
    with read_session() as session:
        payment = session.exec(select(Payment).where(Payment.account_id == home.account_id)).one()
    assert (payment.status, payment.amount) == ('processing', 60_000)
    return home, plan_id, payment


def _view(home: Household) -> tracking.PlanView:
    with write_session() as session:
        view = tracking.overview(session, actor=home.actor, account_id=home.account_id)
    assert view is not None
    return view


def _plan(plan_id: int) -> tuple[str, list[str]]:
    with read_session() as session:
        rows = session.exec(select(PlanInstallment.status).where(PlanInstallment.plan_id == plan_id)
                            .order_by(PlanInstallment.seq)).all()
        return session.get(PaymentPlan, plan_id).status, list(rows)


def _bank_returns(payment: Payment) -> tuple[str, ...]:
    return process_events(events=[GatewayEvent(event_id=f'evt_return_{payment.id}', kind='payment_failed',
                                        intent_id=payment.gateway_intent_id, amount=payment.amount,
                                        failure_message='The bank returned the payment (R01).',
                                        created=int(time.time()))],
                          gateway_name='demo')


def test_bank_money_still_processing_is_not_paid_and_the_plan_completes_when_it_settles(demo: DemoGateway) -> None:
    home, plan_id, payment = _plan_paid_off_by_bank()
    assert _plan(plan_id) == ('active', [InstallmentStatus.settling] * 4)
    with _at('2026-11-21'):
        view = _view(home)
    assert [line.status for line in view.lines] == ['processing'] * 4
    assert (view.status, view.paid, view.processing, view.remaining, view.next_date) == ('active', 0, 60_000, 0, None)
    with _at('2026-11-24'):
        assert process_events(events=demo.settle(payment.gateway_intent_id), gateway_name=demo.name) == ('posted',)
    assert _plan(plan_id) == ('completed', ['paid'] * 4)


def test_a_return_reopens_the_installments_past_due_by_their_dates(demo: DemoGateway) -> None:
    home, plan_id, payment = _plan_paid_off_by_bank()
    with _at('2026-12-03'):
        assert _bank_returns(payment) == ('failed',)
        assert _bank_returns(payment) == ('duplicate',)  # a second delivery changes nothing
        view = _view(home)
    assert _plan(plan_id) == ('delinquent', ['scheduled'] * 4)
    assert [line.status for line in view.lines] == ['past_due', 'scheduled', 'scheduled', 'scheduled']
    assert (view.paid, view.processing, view.remaining, view.returned) == (0, 0, 60_000, 60_000)
    assert (view.next_date.isoformat(), view.next_amount) == ('2026-12-01', 15_000)
    with read_session() as session:
        [message] = session.exec(select(Notification)).all()  # the receipt waits for settled money: none
        assert session.exec(select(AuditEvent).where(AuditEvent.action == 'plan_payment_returned')).one()
    assert (message.template, message.dedupe_key, message.recipient) == (
        'plan_payment_returned', f'payment-returned:{payment.id}', 'maria@example.com')
    assert context_of(message) == {'first_name': 'Maria', 'amount': '$600.00',
                                   'link': 'http://127.0.0.1:8080/payment-methods'}
    staff = make_user(role='staff')
    with read_session() as session:
        queues = staff_queues(session, actor=Actor(staff.id, 'staff'))
    [row] = queues.delinquent
    assert (row.plan_id, row.remaining, row.next_due.isoformat()) == (plan_id, 60_000, '2026-12-01')


def test_a_return_before_the_first_date_reopens_them_as_scheduled(demo: DemoGateway) -> None:
    home, plan_id, payment = _plan_paid_off_by_bank()
    with _at('2026-11-25'):
        _bank_returns(payment)
        view = _view(home)
    assert _plan(plan_id) == ('active', ['scheduled'] * 4)
    assert [line.status for line in view.lines] == ['scheduled'] * 4 and view.returned == 60_000
    with read_session() as session:
        assert session.exec(select(Notification.template)).all() == ['plan_payment_returned']


def test_paying_what_is_past_due_after_a_return_lifts_the_plan_out_of_the_queue(demo: DemoGateway) -> None:
    home, plan_id, payment = _plan_paid_off_by_bank()
    with _at('2026-12-03'):
        _bank_returns(payment)
        confirm_and_pay(actor=home.actor, account_id=home.account_id, choice='other', amount_text='150.00',
                      idempotency_key=new_key(), method_id=home.method_id)
        view = _view(home)
    assert _plan(plan_id) == ('active', ['paid', 'scheduled', 'scheduled', 'scheduled'])
    assert view.returned == 0 and view.paid == 15_000


def test_part_of_a_plan_in_flight_leaves_the_rest_due(demo: DemoGateway) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(60_000)
        plan_id = sign(home, months=4, autopay=False)
        bank = make_saved_method(home.account_id, behaviour='bank', is_default=False)
        confirm_and_pay(actor=home.actor, account_id=home.account_id, choice='other', amount_text='200.00',
                      idempotency_key=new_key(), method_id=bank.id)
        view = _view(home)
    assert _plan(plan_id) == ('active', ['settling', 'scheduled', 'scheduled', 'scheduled'])
    assert (view.processing, view.remaining, view.next_amount) == (20_000, 40_000, 10_000)
    assert [line.still_due for line in view.lines] == [0, 10_000, 15_000, 15_000]


@pytest.mark.parametrize('how', ['card on /pay', 'cash at the office'])
def test_every_posting_brings_the_plan_up_to_date(demo: DemoGateway, how: str) -> None:
    with time_machine.travel(SIGNED, tick=False):
        home = household(60_000)
        plan_id = sign(home, months=4, autopay=False)
        if how == 'card on /pay':
            confirm_and_pay(actor=home.actor, account_id=home.account_id, choice='full', idempotency_key=new_key(),
                          method_id=home.method_id)
        else:
            staff = make_user(role='staff')
            with write_session() as session:
                record_offline_payment(session, actor=Actor(staff.id, 'staff'), account_id=home.account_id,
                                       amount_text='600.00', method='cash')
    assert _plan(plan_id) == ('completed', ['paid'] * 4)  # nobody looked at the plan: the posting did it


def test_a_refund_reopens_what_it_took_back(demo: DemoGateway) -> None:
    from portal.services.payments.staff import refund_payment
    with time_machine.travel(SIGNED, tick=False):
        home = household(60_000)
        plan_id = sign(home, months=4, autopay=False)
        paid = confirm_and_pay(actor=home.actor, account_id=home.account_id, choice='other', amount_text='300.00',
                             idempotency_key=new_key(), method_id=home.method_id)
        assert _plan(plan_id) == ('active', ['paid', 'paid', 'scheduled', 'scheduled'])
        staff = make_user(role='staff')
        refund_payment(actor=Actor(staff.id, 'staff'), payment_id=paid.outcome.payment_id, amount_text='100.00',
                       reason='Billed twice', balance_after=40_000)  # re-bills: confirmed
    assert _plan(plan_id) == ('active', ['paid', 'scheduled', 'scheduled', 'scheduled'])


def test_the_migration_reopens_plans_completed_by_money_still_in_flight(demo: DemoGateway, db: str) -> None:
    from alembic import command

    from portal.db import alembic_config
    home, plan_id, payment = _plan_paid_off_by_bank()
    with time_machine.travel(SIGNED, tick=False):
        settled = household(60_000)
        settled_plan = sign(settled, months=4, autopay=False)
        confirm_and_pay(actor=settled.actor, account_id=settled.account_id, choice='full', idempotency_key=new_key(),
                      method_id=settled.method_id)
    with write_session() as session:  # what main did: money in flight counted as paid
        session.get(PaymentPlan, plan_id).status = 'completed'
        for row in session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)).all():
            row.status = 'paid'
    command.downgrade(alembic_config(db), '0005')
    command.upgrade(alembic_config(db), 'head')
    assert _plan(plan_id) == ('active', ['paid'] * 4)
    assert _plan(settled_plan) == ('completed', ['paid'] * 4)
    with _at('2026-12-03'):
        _bank_returns(payment)
    assert _plan(plan_id) == ('delinquent', ['scheduled'] * 4)
