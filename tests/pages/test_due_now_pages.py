"""What is due, on the pages (issue 12): a visit still with insurance is shown as waiting, not asked for;
a statement lists what is still open from earlier statements, each with "Ask about this charge"; a plan
payer sees the installment everywhere and "View your plan"; a re-billed statement asks for what is left."""
from __future__ import annotations

from datetime import timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import Claim, Patient, Payment, PlanInstallment, Statement
from portal.models import User as UserRow
from portal.services.payments import staff
from portal.services.practice import load_practice_today as practice_today
from portal.services.statement_run import run_statements
from tests.factories import STRONG_PASSWORD, make_account, make_charges, make_claim, make_user
from tests.pages.conftest import sign_in
from tests.support.payments import checkout_with, fresh_gateway  # noqa: F401  (autouse)
from tests.support.plans import household, sign


def _latest(account_id: int) -> int:
    with read_session() as session:
        return session.exec(select(Statement.id).where(Statement.account_id == account_id)
                            .order_by(Statement.id.desc())).first()


def _choices(user: User) -> dict:
    radio = user.find(marker='choice').elements.pop()
    return {'options': list(radio.options.values()), 'value': radio.value}


async def test_a_visit_still_with_insurance_is_waiting_not_due(user: User) -> None:
    account, _ = make_account()
    charges = make_charges(account, [5000, 15500])
    make_claim(charges[1])
    make_user(email='waiting@example.com', account=account)
    run_statements(on=practice_today())
    await sign_in(user, 'waiting@example.com', STRONG_PASSWORD)
    await user.should_see('Waiting for insurance: $155.00')
    await user.should_see('$50.00')
    await user.open(f'/statements/{_latest(account.id)}')
    await user.should_see('Waiting for insurance')
    await user.should_see('-$155.00')
    await user.should_see('still processing this visit')
    await user.should_see('You do not owe this yet')
    assert 'Waiting for insurance' in _line_text(user, charges[1]) and 'You owe' not in _line_text(user, charges[1])
    assert 'You owe' in _line_text(user, charges[0])
    await user.open('/pay')
    await user.should_see('$155.00 is waiting for insurance')
    assert _choices(user)['options'][0] == 'Full amount due · $50.00'


def _line_text(user: User, charge_id: int) -> str:
    """The text of one charge line on the statement page (its html parts)."""
    return ' '.join(child.content for line in user.find(marker=f'charge-{charge_id}').elements
                    for child in line.descendants() if isinstance(child, ui.html))


async def test_a_statement_lists_what_is_still_open_from_earlier_statements(user: User) -> None:
    account, _ = make_account()
    [charge] = make_charges(account, [96174])
    make_user(email='earlier@example.com', account=account)
    run_statements(on=practice_today() - timedelta(days=40))
    run_statements(on=practice_today())
    await sign_in(user, 'earlier@example.com', STRONG_PASSWORD)
    await user.should_see('Latest statement')
    await user.open(f'/statements/{_latest(account.id)}')
    await user.should_see('Still open from earlier statements')
    await user.should_see('Visit on')
    await user.should_see(marker=f'ask-{charge}')


async def test_a_plan_payer_sees_the_installment_and_their_plan(user: User) -> None:
    home_ = household(100_000)
    run_statements(on=practice_today() - timedelta(days=40))  # overdue before the plan
    sign(home_, months=4)
    with read_session() as session:
        email = session.get(UserRow, home_.actor.user_id).email
    await sign_in(user, email, STRONG_PASSWORD)
    await user.should_see('Next plan payment $250.00')
    await user.should_not_see('Overdue')
    await user.open(f'/statements/{_latest(home_.account_id)}')
    await user.should_see('You are on a payment plan')
    await user.should_see('View your plan')
    await user.should_not_see('Set up a payment plan')
    await user.open('/pay')
    await user.should_see('Pay your bill')
    choices = _choices(user)
    assert choices['options'][0] == "This month's installment · $250.00" and choices['value'] == 'installment'


async def test_plans_offers_only_what_is_payable_now(user: User) -> None:
    """Issue 12 review: /plans offered the balance with a visit still with insurance in it ($630.60 while
    /pay asked for $500.60); it offers what is payable now and says what waits for insurance."""
    home_ = household(50060)
    [visit] = make_charges(home_.account_id, [13000])
    make_claim(visit)
    with read_session() as session:
        email = session.get(UserRow, home_.actor.user_id).email
    await sign_in(user, email, STRONG_PASSWORD)
    await user.should_see('Hi Maria')
    await user.open('/plans')
    await user.should_see('Set up a payment plan')
    await user.should_see('Owed now, for the plan: $500.60')
    await user.should_see('$130.00 is waiting for insurance and is not in the plan')


async def test_quick_pay_asks_a_plan_payer_for_this_months_installment_first(user: User) -> None:
    """Issue 12 review: signed out, /pay?code=… asked a plan payer for the whole $1,000.00 only; it asks for
    the installment first (the signed-in pay page's rule) and offers the whole amount due second."""
    home_ = household(100_000)
    run_statements(on=practice_today())
    plan_id = sign(home_, months=4)
    with read_session() as session:
        statement = session.get(Statement, _latest(home_.account_id))
        birth = session.exec(select(Patient.date_of_birth).where(Patient.account_id == home_.account_id)).first()
        code = statement.quick_pay_code
    await user.open(f'/pay?code={code}')
    user.find(marker='birth').type(birth.isoformat())
    user.find(marker='submit').click()
    await user.should_see('Hi Maria.')
    await user.should_see('Your plan payment this month. The whole amount due is $1,000.00.')
    assert [element.text for element in user.find(marker='pay').elements] == ['Pay $250.00']
    assert [element.text for element in user.find(marker='pay-whole').elements] == [
        'Pay the whole amount due · $1,000.00']
    (bill,) = [element.content for element in user.find(ui.html).elements if 'guest-bill' in element.content]
    assert 'data-testid="amount-due" class="text-3xl font-bold text-slate-900">$250.00<' in bill
    user.find(marker='pay').click()
    await checkout_with(user, '4242424242424242')
    await user.should_see('Payment received')
    with read_session() as session:
        assert session.exec(select(Payment.amount).where(Payment.account_id == home_.account_id)).all() == [25000]
        first = session.exec(select(PlanInstallment.status).where(PlanInstallment.plan_id == plan_id)
                             .order_by(PlanInstallment.seq)).first()
    assert first == 'paid'


async def test_a_statement_re_billed_by_a_refund_asks_for_what_is_left(user: User) -> None:
    account, _ = make_account()
    make_charges(account, [48020])
    make_user(email='rebilled@example.com', account=account)
    run_statements(on=practice_today())
    clerk = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:
        payment_id = staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='480.20',
                                                  method='cash')
    staff.refund_payment(actor=clerk, payment_id=payment_id, amount_text='10', reason='Billing correction',
                         balance_after=1000)
    await sign_in(user, 'rebilled@example.com', STRONG_PASSWORD)
    await user.should_see('Amount due $10.00')
    await user.should_not_see('Amount due $480.20')  # $480.20 shows only as the payment, in "Since your statement"
    await user.open(f'/statements/{_latest(account.id)}')
    await user.should_see('What is left to pay on this statement')
    await user.should_see('$10.00')


async def test_a_plan_payer_sees_each_balance_named(user: User) -> None:
    """Issue 12 review: a plan payer read "balance $635.20" on home, "Your whole balance is $505.20" on /pay
    and "Your whole balance is $635.20" on the statement. The balance is the ledger's everywhere, and /pay
    names its parts: what is due now with the plan and what waits for insurance."""
    home_ = household(50060)
    [visit] = make_charges(home_.account_id, [13000])
    make_claim(visit)
    run_statements(on=practice_today())
    sign(home_, months=4, expected_balance=50060)
    with read_session() as session:
        email = session.get(UserRow, home_.actor.user_id).email
    await sign_in(user, email, STRONG_PASSWORD)
    await user.should_see('balance $630.60')
    await user.open('/pay')
    await user.should_see('Your balance is $630.60: $500.60 left on your plan and $130.00 waiting for '
                          'insurance.')
    assert _choices(user)['options'][:2] == ["This month's installment · $125.15", 'Everything due now · $500.60']
    await user.should_not_see('whole balance')
    await user.open(f'/statements/{_latest(home_.account_id)}')
    await user.should_see("This statement's new balance is $630.60")
    await user.should_see('Payable over your plan')  # not a second "Amount due" beside the installment's
    await user.should_not_see('whole balance')
    # issue 12 review, F1: $20 paid ahead shows as this month's installment less $20 everywhere, as on /plans
    with write_session() as session:
        staff.record_offline_payment(session, actor=Actor(make_user(role='staff').id, 'staff'),
                                     account_id=home_.account_id, amount_text='20', method='cash')
    await user.open('/')
    await user.should_see('Next plan payment $105.15')  # the latest statement's card
    (due,) = [element.content for element in user.find(ui.html).elements
              if 'data-testid="amount-due"' in element.content]
    assert '>$105.15<' in due  # and the home's amount due
    await user.open('/pay')
    await user.should_see('Your balance is $610.60: $480.60 left on your plan and $130.00 waiting for insurance.')
    assert _choices(user)['options'][0] == "This month's installment · $105.15"
    # F2: once the insurer answers, the visit the plan left out is owed apart from it
    with write_session() as session:
        session.exec(select(Claim).where(Claim.account_id == home_.account_id)).one().status = 'denied'
    await user.open('/pay')
    await user.should_see('Your balance is $610.60: $480.60 left on your plan and $130.00 owed apart from your '
                          'plan.')


async def test_a_statement_line_shows_what_the_patient_paid_on_it(user: User) -> None:
    """A $25 copay paid at the desk on a visit still with insurance: its line shows "You paid $25.00" and
    "Waiting for insurance $130.00", not $155.00."""
    account, _ = make_account()
    [visit] = make_charges(account, [15500])
    make_charges(account, [4000])  # owed now: a statement is issued
    make_user(email='copay@example.com', account=account)
    clerk = Actor(make_user(role='staff').id, 'staff')
    with write_session() as session:
        staff.record_offline_payment(session, actor=clerk, account_id=account.id, amount_text='25', method='cash',
                                     reference='Copay at the desk')
    make_claim(visit)
    run_statements(on=practice_today())
    await sign_in(user, 'copay@example.com', STRONG_PASSWORD)
    await user.should_see('Latest statement')
    await user.open(f'/statements/{_latest(account.id)}')
    await user.should_see('You paid')
    line = _line_text(user, visit)
    assert 'You paid' in line and '$25.00' in line and 'Waiting for insurance' in line and '$130.00' in line
    assert '$155.00</span></div>' not in line.split('Insurance paid')[1]


async def test_plans_refusal_names_what_is_owed_now(user: User) -> None:
    """Issue 12 review: the refusal said "Your balance is $X" for what is payable now."""
    account, _ = make_account()
    [visit] = make_charges(account, [3000, 40000])[1:]
    make_claim(visit)
    make_user(email='small@example.com', account=account)
    await sign_in(user, 'small@example.com', STRONG_PASSWORD)
    await user.should_see('Amount due')
    await user.open('/plans')
    await user.should_see('What you owe now is $30.00. Another $400.00 is waiting for insurance')
    await user.should_not_see('Your balance is')


async def test_plans_says_nothing_is_owed_when_all_waits_for_insurance(user: User) -> None:
    """Issue 12 review: with nothing owed now the refusal read "What you owe now is $0.00" beside "Pay your
    balance"."""
    account, _ = make_account()
    [visit] = make_charges(account, [40000])
    make_claim(visit)
    make_user(email='nothing@example.com', account=account)
    await sign_in(user, 'nothing@example.com', STRONG_PASSWORD)
    await user.should_see('Hi')
    await user.open('/plans')
    await user.should_see('Nothing is owed now, so there is nothing to put on a plan.')
    await user.should_not_see('Pay your balance')
