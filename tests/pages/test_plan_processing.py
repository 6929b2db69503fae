"""/plans while a bank payment is in flight and after the bank returned it (issue 9, item 3): the patient
reads "processing", then "returned" and "past due"; staff find the plan in the past-due queue."""
from __future__ import annotations

import time
from datetime import timedelta

from nicegui.testing import User
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AccountAccess, GuarantorAccount, Payment, PlanInstallment
from portal.payments.gateway import GatewayEvent
from portal.services.payable import standing
from portal.services.payments import add_demo_method, new_key, process_events
from portal.services.plans import signing
from portal.services.practice import load_practice_today as practice_today
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.support.payments import confirm_and_pay

DEMO_ACCOUNT = 'A10002026'


def _plan_paid_by_bank() -> tuple[int, Payment]:
    """The demo account's plan (4 months, by hand), then its whole balance (what is due now and what is waiting
    for insurance: another amount) paid with a bank account."""
    with write_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        user_id = session.exec(select(AccountAccess.user_id).where(AccountAccess.account_id == account.id)).first()
        plan = signing.create(session, Actor(user_id, 'patient'), account_id=account.id, day_of_month=1, months=4,
                            signed_name='Maria Alvarez', consent=True, autopay_method_id=None)
        bank = add_demo_method(session, account_id=account.id, behaviour='bank', is_default=False)
        account_id, bank_id, plan_id = account.id, bank.id, plan.id
        whole = standing(session, account.id).ceiling  # the plan financed the visit still with insurance too
    outcome = confirm_and_pay(actor=Actor(user_id, 'patient'), account_id=account_id, choice='other',
                              amount_text=f'{whole / 100:.2f}', idempotency_key=new_key(), method_id=bank_id).outcome
    assert outcome is not None and outcome.status == 'processing'
    with read_session() as session:
        return plan_id, session.get(Payment, outcome.payment_id)


def _returned_after_the_first_date() -> None:
    plan_id, payment = _plan_paid_by_bank()
    with write_session() as session:  # the first installment's date has passed when the bank returns it
        first = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                             .order_by(PlanInstallment.seq)).first()
        first.due_date = practice_today() - timedelta(days=2)
    returned = GatewayEvent(event_id='evt_returned', kind='payment_failed', intent_id=payment.gateway_intent_id,
                            amount=payment.amount, created=int(time.time()) + 1)
    process_events(events=[returned], gateway_name='demo')


def _schedule(user: User) -> list[str]:
    html = user.find(marker='plan-history').elements.pop().content
    return [part.split('"', 1)[0] for part in html.split('data-status="')[1:]]


async def test_a_plan_paid_by_bank_money_in_flight_shows_processing(user: User) -> None:
    _plan_paid_by_bank()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.open('/plans')
    await user.should_see('Payment processing')
    await user.should_see(marker='plan-processing')
    await user.should_see('is a bank payment still processing')
    await user.should_see('Your plan is paid off once it settles.')
    assert _schedule(user) == ['processing'] * 4
    await user.should_not_see('Paid off')
    await user.should_not_see(marker='pay-installment')


async def test_a_returned_bank_payment_reopens_the_plan_for_the_patient_and_staff(user: User) -> None:
    _returned_after_the_first_date()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.open('/plans')
    await user.should_see(marker='payment-returned')
    await user.should_see('Your bank returned a payment of')
    await user.should_see('Past due')
    assert _schedule(user) == ['past_due', 'scheduled', 'scheduled', 'scheduled']
    await user.should_see(marker='pay-installment')
    await user.should_not_see(marker='plan-processing')


async def test_staff_see_a_returned_plan_in_the_past_due_queue(user: User) -> None:
    _returned_after_the_first_date()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/plans')
    await user.should_see(marker='delinquent-queue')
    past_due = user.find(marker='delinquent-queue').elements.pop().rows
    assert [row['account'] for row in past_due] == [DEMO_ACCOUNT]
