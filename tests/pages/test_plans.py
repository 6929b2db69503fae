"""/plans for the demo patient and /staff/plans for the demo staff member: the live schedule, every bad input
(a clear message, nothing stored), signing with autopay, progress, and the staff policy card and queues."""
from __future__ import annotations

import asyncio

import pytest
from nicegui.testing import User
from sqlalchemy import Engine, event
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AccountAccess, GuarantorAccount, PaymentPlan, PlanInstallment, PlanPolicy
from portal.services.plans import signing
from tests.factories import make_charges
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in

DEMO_ACCOUNT = 'A10002026'


def _plans() -> int:
    with read_session() as session:
        return _demo_plans(session)


def _demo_plans(session) -> int:  # noqa: ANN001
    return session.exec(select(func.count()).select_from(PaymentPlan).join(
        GuarantorAccount, GuarantorAccount.id == PaymentPlan.account_id)
        .where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()


def _value(user: User, marker: str, value: object) -> None:
    for element in user.find(marker=marker).elements:
        element.value = value


async def _open_form(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.open('/plans')
    await user.should_see('Set up a payment plan')


async def test_the_schedule_follows_the_choice(user: User) -> None:
    await _open_form(user)
    _value(user, 'months', 3)
    await user.should_see('3 monthly payments')
    _value(user, 'mode', 'amount')
    _value(user, 'monthly', '100')
    await user.should_see('monthly payments of $100.00')
    _value(user, 'monthly', '30')
    await user.should_see('longest plan is 12 months')
    _value(user, 'monthly', '5')
    await user.should_see('must be at least $25.00')


@pytest.mark.parametrize(('setup', 'message'), [
    ({'mode': 'amount', 'monthly': '10'}, 'must be at least $25.00'),
    ({'mode': 'amount', 'monthly': '25'}, 'longest plan is'),
    ({'signature': ''}, 'Type the full name of the account holder'),
    ({'signature': 'Someone Else'}, 'Type the full name of the account holder'),
    ({'consent': False}, 'Tick the box to agree'),
])
async def test_every_bad_input_gives_a_message_and_stores_nothing(user: User, setup: dict, message: str) -> None:
    with write_session() as session:  # a small minimum and a short maximum so both bounds are reachable
        policy = session.exec(select(PlanPolicy)).first()
        policy.max_months = 3
    await _open_form(user)
    values = {'months': 2, 'signature': 'Maria Alvarez', 'consent': True, 'mode': 'months', **setup}
    for marker, value in values.items():
        _value(user, marker, value)
    user.find(marker='submit').click()
    await user.should_see(message)
    assert _plans() == 0


async def test_a_balance_under_the_minimum_is_told_so(user: User) -> None:
    with write_session() as session:
        session.exec(select(PlanPolicy)).first().min_balance = 100_000_000
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.open('/plans')
    await user.should_see('A payment plan is available when what you owe now is $1,000,000.00 or more')
    assert _plans() == 0


async def test_signing_with_autopay_shows_progress_and_allows_changes(user: User) -> None:
    await _open_form(user)
    await user.should_see('Autopay with Visa ending 4242')
    _value(user, 'months', 2)
    _value(user, 'signature', 'maria alvarez')
    _value(user, 'consent', True)
    user.find(marker='submit').click()
    await user.should_see('Your plan')
    await user.should_see('Autopay with Visa ending 4242: each payment is charged on its date.')
    await user.should_see(marker='plan-history')
    assert _plans() == 1
    _value(user, 'new-day', 27)
    user.find(marker='change-day').click()
    plan = await _eventually(lambda plan: plan.day_of_month == 27)
    assert plan.signed_name == 'maria alvarez' and plan.autopay_method_id and plan.signed_ip is not None
    await user.open('/plans')
    await user.should_see('Your plan')
    user.find(marker='cancel-plan').click()
    await user.should_see(marker='confirm-cancel')
    user.find(marker='confirm-cancel').click()
    await _eventually(lambda plan: plan.status == 'cancelled')
    await user.open('/plans')
    await user.should_see('Set up a payment plan')


async def _eventually(check) -> PaymentPlan:  # noqa: ANN001
    query = (select(PaymentPlan).join(GuarantorAccount, GuarantorAccount.id == PaymentPlan.account_id)
             .where(GuarantorAccount.account_number == DEMO_ACCOUNT))
    for _ in range(100):
        with read_session() as session:
            plan = session.exec(query).one()
        if check(plan):
            return plan
        await asyncio.sleep(0.05)
    raise AssertionError(f'the plan never got there: {plan}')


def _demo_plan(*, status: str = 'active') -> int:
    with write_session() as session:
        account = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        user_id = session.exec(select(AccountAccess.user_id).where(AccountAccess.account_id == account.id)).first()
        plan = signing.create(session, Actor(user_id, 'patient'), account_id=account.id, day_of_month=1, months=4,
                            signed_name='Maria Alvarez', consent=True, autopay_method_id=None)
        plan.status = status
        return plan.id


async def test_staff_set_the_policy_and_see_the_queues(user: User) -> None:
    _demo_plan(status='delinquent')
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/plans')
    await user.should_see('Plan policy')
    await user.should_see('Past due: needs attention')
    await user.should_see(marker='delinquent-queue')
    past_due = user.find(marker='delinquent-queue').elements.pop().rows
    assert [row['account'] for row in past_due] == [DEMO_ACCOUNT]
    _value(user, 'max_months', '99')
    _value(user, 'min_installment', 'abc')
    user.find(marker='save-policy').click()
    await user.should_see('Please correct the highlighted fields.')
    _value(user, 'max_months', '18')
    _value(user, 'min_installment', '30')
    _value(user, 'new_charges_rule', 'respread')
    user.find(marker='save-policy').click()
    await user.should_see('Saved. Terms version')
    with read_session() as session:
        policy = session.exec(select(PlanPolicy)).first()
    assert (policy.max_months, policy.min_installment, policy.new_charges_rule) == (18, 3000, 'respread')


async def test_a_patient_cannot_open_the_staff_page(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    with pytest.raises(AssertionError, match='404'):
        await user.open('/staff/plans')


async def test_paying_an_installment_by_hand_covers_it(user: User) -> None:
    plan_id = _demo_plan()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    await user.open('/plans')
    await user.should_see('You pay each installment yourself by its date.')
    user.find(marker='pay-installment').click()
    await user.should_see(marker='card-number')
    user.find(marker='card-number').type('4242 4242 4242 4242')
    user.find(marker='card-expiry').type('12/30')
    user.find(marker='card-cvc').type('123')
    user.find(marker='pay-card').click()
    await user.should_see('Payment received')
    await user.open('/plans')
    await user.should_see('Your plan')
    with read_session() as session:
        rows = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                            .order_by(PlanInstallment.seq)).all()
        statuses = [row.status for row in rows]
    assert statuses == ['paid', 'scheduled', 'scheduled', 'scheduled']


async def test_opening_the_plan_page_writes_nothing(user: User) -> None:
    """Re-spreading new charges is the money-moved step's work (where charges land), never the page's: even
    a charge posted without that step (so the stored installments are behind the ledger) is only read."""
    plan_id = _demo_plan()
    with write_session() as session:
        session.exec(select(PlanPolicy)).one().new_charges_rule = 'respread'
        account_id = session.get(PaymentPlan, plan_id).account_id
    make_charges(account_id, [5000])
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Hi Maria')
    writes: list[str] = []

    def note(_conn, _cursor, statement: str, *_args) -> None:  # noqa: ANN001
        if statement.lstrip().split(' ', 1)[0].upper() in {'INSERT', 'UPDATE', 'DELETE'}:
            writes.append(statement)

    event.listen(Engine, 'before_cursor_execute', note)
    try:
        await user.open('/plans')
        await user.should_see('Your plan')
        await user.should_see(marker='next-payment')
    finally:
        event.remove(Engine, 'before_cursor_execute', note)
    assert writes == []
    with read_session() as session:
        assert sum(row.amount for row in session.exec(
            select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)).all()) == \
            session.get(PaymentPlan, plan_id).total_amount
