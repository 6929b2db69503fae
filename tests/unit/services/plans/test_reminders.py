"""Installment reminders after the bill was paid (issue 9, item 4): a plan paid by hand, its first
installment due in 2 days, the whole balance paid on /pay. The payment brings the plan up to date, the
sweep queues no reminder, and one queued before the payment is suppressed when the sender runs."""
from __future__ import annotations

import pytest
import time_machine
from sqlmodel import select

from portal.db import read_session
from portal.jobs import reminders
from portal.models import Notification, PaymentPlan
from portal.notify.outbox import context_of
from portal.payments.demo_gateway import DemoGateway
from portal.services import delivery
from portal.services.payments import new_key
from tests.support.payments import confirm_and_pay
from tests.support.plans import Household, household, sign

SIGNED = '2026-11-20 18:00:00+00:00'  # 4 x $150 by hand, the first on December 1
TWO_DAYS_BEFORE = '2026-11-29 15:00:00+00:00'  # 09:00 in the practice


@pytest.fixture
def demo(demo: DemoGateway, sent: list[dict]) -> tuple[DemoGateway, list[dict]]:
    """The DemoGateway (the conftest's `demo`) with email on (`sent`)."""
    return demo, sent


def _plan_by_hand() -> tuple[Household, int]:
    with time_machine.travel(SIGNED, tick=False):
        home = household(60_000)
        return home, sign(home, months=4, autopay=False)


def _pay(home: Household, choice: str = 'full', amount_text: str = '') -> None:
    result = confirm_and_pay(actor=home.actor, account_id=home.account_id, choice=choice, amount_text=amount_text,
                           idempotency_key=new_key(), method_id=home.method_id)
    assert result.outcome is not None and result.outcome.status == 'succeeded'


def _installment_reminders() -> list[Notification]:
    with read_session() as session:
        return list(session.exec(select(Notification).where(Notification.template == 'installment_due')).all())


def test_paying_the_whole_balance_on_pay_queues_no_installment_reminder(demo: tuple) -> None:
    home, plan_id = _plan_by_hand()
    with time_machine.travel(TWO_DAYS_BEFORE, tick=False):
        _pay(home)
        reminders.run()
        delivery.deliver_pending()
    assert _installment_reminders() == []
    with read_session() as session:
        assert session.get(PaymentPlan, plan_id).status == 'completed'


def test_a_reminder_queued_before_the_payment_is_suppressed_when_sent(demo: tuple) -> None:
    _, sent = demo
    home, _ = _plan_by_hand()
    with time_machine.travel(TWO_DAYS_BEFORE, tick=False):
        assert reminders.run() == 1
        _pay(home)
        delivery.deliver_pending()
    [reminder] = _installment_reminders()
    assert (reminder.status, reminder.last_error) == ('suppressed', 'plan not active')  # paid off
    assert [message['subject'] for message in sent] == ['We received your payment to Riverside Family Medicine']


def test_a_reminder_asks_for_what_the_installment_still_needs(demo: tuple) -> None:
    _, sent = demo
    home, _ = _plan_by_hand()
    with time_machine.travel(TWO_DAYS_BEFORE, tick=False):
        _pay(home, 'other', '100.00')  # $500 left: the first installment needs $50
        assert reminders.run() == 1
        delivery.deliver_pending()
    [reminder] = _installment_reminders()
    assert reminder.status == 'sent' and context_of(reminder)['amount'] == '$50.00'
    assert [message['subject'] for message in sent] == [
        'We received your payment to Riverside Family Medicine',
        'Your Riverside Family Medicine payment plan installment is coming up']
