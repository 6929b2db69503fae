"""What is due now (issue 12): charges still with insurance are held out of what is asked for (not of the
balance), pay-in-full and allocation skip them, statement runs and reminders never ask for them, and a
practice may turn that off; a statement lists what is still open from earlier statements; a plan payer's
statement asks for the installment and is not overdue; a re-billed statement asks for what is left."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.documents.statement_pdf import render_statement
from portal.models import (
    Charge,
    Claim,
    LedgerEntry,
    PaymentAllocation,
    PaymentPlan,
    PlanHeldCharge,
    PlanInstallment,
    PracticeSettings,
    Statement,
)
from portal.payments.demo_gateway import DemoGateway
from portal.services import home, payable, statements
from portal.services.desk.account import desk_account
from portal.services.due import CHECKS
from portal.services.money_moved import account_money_moved
from portal.services.payments import allocation, charge_saved_method, checkout, new_key, staff
from portal.services.plans import coverage, signing
from portal.services.practice import load_practice_today as practice_today
from portal.services.practice import practice
from portal.services.statement_run import run_statements
from tests.factories import make_account, make_charges, make_claim, make_saved_method, make_user
from tests.support.documents import normalized
from tests.support.plans import Household, household, sign


def _account_with_pending(amounts: tuple[int, ...] = (5000, 15500)) -> tuple[int, Actor, list[int]]:
    """An account owing a visit per amount, the last one still with insurance: (account id, patient, charge ids)."""
    account, _ = make_account()
    charges = make_charges(account, list(amounts))
    make_claim(charges[-1])
    user = make_user(account=account)
    return account.id, Actor(user.id, 'patient'), charges


def _statement(account_id: int) -> Statement:
    with read_session() as session:
        return session.exec(select(Statement).where(Statement.account_id == account_id)
                            .order_by(Statement.id.desc())).first()


@pytest.mark.parametrize(('status', 'pending'), [('submitted', True), ('in_process', True), ('appealed', True),
                                                 ('paid', False), ('partially_paid', False), ('denied', False)])
def test_one_function_says_which_claim_statuses_are_pending(status: str, pending: bool) -> None:
    assert payable.claim_is_pending(status) is pending


def test_a_pending_claim_is_held_out_of_what_is_due_but_not_out_of_the_balance(db: str) -> None:
    account_id, patient, _ = _account_with_pending()
    with write_session() as session:
        money = payable.standing(session, account_id)
        (account,) = home.patient_home(session, actor=patient).accounts
        context = checkout.pay_context(session, patient)
        assert checkout.amount_for(session, account_id=account_id, choice='full') == (5000, 'balance')
    assert (money.balance, money.waiting, money.now) == (20500, 15500, 5000)
    assert (account.balance, account.waiting, account.amount_due) == (20500, 15500, 5000)
    assert (context.payable, context.waiting) == (5000, 15500)


def test_once_the_insurer_answers_the_charge_is_due(db: str) -> None:
    account_id, _, _ = _account_with_pending()
    with write_session() as session:
        session.exec(select(Claim)).one().status = 'paid'
    with read_session() as session:
        assert payable.payable_now(session, account_id) == 20500


def test_the_practice_may_turn_the_hold_out_off(db: str) -> None:
    account_id, _, _ = _account_with_pending()
    with write_session() as session:
        session.add(PracticeSettings(name='Riverside', hold_pending_insurance=False))
    with read_session() as session:
        assert practice(session).hold_pending_insurance is False
        assert payable.standing(session, account_id).waiting == 0
        assert payable.payable_now(session, account_id) == 20500


def test_pay_in_full_pays_what_is_due_now_and_skips_the_pending_charge(demo: DemoGateway) -> None:
    account, _ = make_account()
    charges = make_charges(account, [15500, 5000])  # the older visit is the one still with insurance
    make_claim(charges[0])
    account_id = account.id
    method = make_saved_method(account_id)
    with read_session() as session:
        amount, target = checkout.amount_for(session, account_id=account_id, choice='full')
    paid = charge_saved_method(account_id=account_id, method_id=method.id, amount=amount, target=target,
                               idempotency_key=new_key())
    assert paid.status == 'succeeded'
    with read_session() as session:
        parts = session.exec(select(PaymentAllocation.charge_id, PaymentAllocation.amount)).all()
        assert payable.payable_now(session, account_id) == 0
    assert parts == [(charges[1], 5000)]


def test_a_statement_shows_waiting_for_insurance_and_asks_only_for_the_rest(db: str) -> None:
    account_id, patient, _ = _account_with_pending()
    only_pending, _, _ = _account_with_pending((9000,))  # all it owes is with insurance
    result = run_statements(on=practice_today())
    statement = _statement(account_id)
    assert (statement.new_balance, statement.waiting_for_insurance, statement.amount_due) == (20500, 15500, 5000)
    assert _statement(only_pending) is None and result.statements_created == 1  # nothing to ask for: no statement
    with write_session() as session:
        detail = statements.statement_detail(session, actor=patient, statement_id=statement.id)
    assert (detail.summary.waiting_for_insurance, detail.summary.amount_due) == (15500, 5000)
    assert detail.totals.new_balance - detail.summary.waiting_for_insurance == 5000  # the statement identity
    text = _pdf_text(detail)
    assert in_order(text, ['New balance', '$205.00', 'Waiting for insurance', '-$155.00', 'Amount due', '$50.00'])


def in_order(text: str, parts: list[str]) -> bool:
    """Every part printed, each after the one before."""
    at = 0
    for part in parts:
        at = text.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def _pdf_text(detail: statements.StatementDetail) -> str:
    reader = PdfReader(io.BytesIO(render_statement(detail, pay_url='https://portal.example.com/pay?code=X')))
    return normalized(' '.join(page.extract_text() for page in reader.pages))


def test_reminders_never_ask_for_a_charge_still_with_insurance(db: str) -> None:
    account_id, _, _ = _account_with_pending((15500,))
    with write_session() as session:  # billed before the claim was appealed
        session.exec(select(Claim)).one().status = 'denied'
    run_statements(on=practice_today())
    statement_id = _statement(account_id).id
    with read_session() as session:
        assert CHECKS['statement-due'](session, statement_id, None) is None  # the control: it asks
    with write_session() as session:
        session.exec(select(Claim)).one().status = 'appealed'
    with read_session() as session:
        assert CHECKS['statement-due'](session, statement_id, None) == 'nothing owed'
        assert CHECKS['statement-overdue'](session, statement_id, None) == 'nothing owed'


def test_a_statement_lists_what_is_still_open_from_earlier_statements(db: str) -> None:
    account, _ = make_account()
    [charge] = make_charges(account, [96174])
    patient = Actor(make_user(account=account).id, 'patient')
    today = practice_today()
    run_statements(on=today - timedelta(days=40))
    run_statements(on=today)  # nothing new since: only "Previous balance"
    latest = _statement(account.id)
    assert latest.previous_balance == 96174 and latest.new_charges == 0
    with write_session() as session:
        detail = statements.statement_detail(session, actor=patient, statement_id=latest.id)
    assert detail.visits == []
    [visit] = detail.earlier
    assert [(line.charge_id, line.patient_owes) for line in visit.lines] == [(charge, 96174)]
    assert visit.patient_name and visit.provider_name
    assert in_order(_pdf_text(detail), ['Still open from earlier statements', '99213', '$961.74'])


def test_a_plan_payers_statement_asks_for_the_installment_and_is_not_overdue(db: str) -> None:
    home_ = household(100_000)
    run_statements(on=practice_today() - timedelta(days=40))  # due 19 days ago: overdue
    with write_session() as session:
        assert statements.list_statements(session, actor=home_.actor)[0].status == 'overdue'
    plan_id = sign(home_, months=4)
    with write_session() as session:
        (listed,) = statements.list_statements(session, actor=home_.actor)
        detail = statements.statement_detail(session, actor=home_.actor, statement_id=listed.id)
        (account,) = home.patient_home(session, actor=home_.actor).accounts
        context = checkout.pay_context(session, home_.actor)
        amount, target = checkout.amount_for(session, account_id=home_.account_id, choice='installment')
    assert (listed.status, listed.amount_due, listed.on_plan) == ('due', 25000, True)
    assert detail.plan is not None and detail.plan.plan_id == plan_id
    assert account.latest_statement is not None
    assert (account.latest_statement.status, account.latest_statement.amount_due, account.amount_due) == (
        'due', 25000, 25000)
    assert context.installment is not None and context.installment.amount == 25000 and context.statements == []
    assert (amount, target) == (25000, f'plan-pay:{context.installment.installment_id}')
    assert 'You are on a payment plan: pay $250.00' in _pdf_text(detail)


def test_a_statement_re_billed_by_a_refund_asks_only_for_what_is_left(demo: DemoGateway) -> None:
    account, _ = make_account()
    make_charges(account, [48020])
    owner = Actor(make_user(account=account).id, 'patient')
    method = make_saved_method(account)
    run_statements(on=practice_today())
    statement_id = _statement(account.id).id
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=48020,
                               target=f'statement:{statement_id}', idempotency_key=new_key())
    clerk = Actor(make_user(role='staff').id, 'staff')
    staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='10', reason='Billing correction',
                         balance_after=1000)
    with write_session() as session:
        (listed,) = statements.list_statements(session, actor=owner)
        (account_home,) = home.patient_home(session, actor=owner).accounts
    assert (listed.status, listed.amount_due) == ('due', 1000)
    assert account_home.latest_statement is not None and account_home.latest_statement.amount_due == 1000
    with read_session() as session:
        detail = statements.statement_detail(session, actor=owner, statement_id=statement_id)
    assert 'Left to pay now: $10.00. This statement asked for $480.20' in _pdf_text(detail)  # as the page says


def test_a_copay_paid_on_a_pending_visit_is_not_held_out_again_and_pay_in_full_clears_the_rest(
        demo: DemoGateway) -> None:
    """Verifier F1: a $25 desk copay applied to the pending $155 visit leaves $130 waiting, not $155; pay in
    full then covers every line not with insurance."""
    account, _ = make_account()
    account_id = account.id
    method = make_saved_method(account_id)
    [pending] = make_charges(account, [15500], start=date(2026, 11, 18))
    copay = charge_saved_method(account_id=account_id, method_id=method.id, amount=2500, target='balance',
                                idempotency_key=new_key())  # at the desk, before the claim went out
    make_claim(pending)
    older = make_charges(account, [30020, 2500], start=date(2026, 10, 20))
    with read_session() as session:
        assert session.exec(select(PaymentAllocation.charge_id).where(
            PaymentAllocation.payment_id == copay.payment_id)).all() == [pending]
        money = payable.standing(session, account_id)
        assert (money.balance, money.waiting, money.now) == (45520, 13000, 32520)
        amount, target = checkout.amount_for(session, account_id=account_id, choice='full')
    assert amount == 32520
    charge_saved_method(account_id=account_id, method_id=method.id, amount=amount, target=target,
                        idempotency_key=new_key())
    with read_session() as session:
        left = {item.charge_id: item.open_amount for item in allocation.open_charges(session, account_id,
                                                                                     waiting=True)}
        assert payable.standing(session, account_id).waiting == 13000
    assert left == {pending: 13000} and not set(older) & set(left)


def test_a_plan_payers_statement_shows_the_next_installment_once_this_one_is_paid(demo: DemoGateway) -> None:
    """Verifier F2: after this month's installment is paid (the statement is then paid), the statement still
    shows the plan and asks for the next installment by its date, not "Set up a payment plan"."""
    home_ = household(100_000)
    plan_id = sign(home_, months=4)
    run_statements(on=practice_today())
    with read_session() as session:
        amount, target = checkout.amount_for(session, account_id=home_.account_id, choice='installment')
    paid = charge_saved_method(account_id=home_.account_id, method_id=home_.method_id, amount=amount, target=target,
                               idempotency_key=new_key())
    assert paid.status == 'succeeded' and amount == 25000
    with read_session() as session:
        rows = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                            .order_by(PlanInstallment.seq)).all()
    assert [row.status for row in rows] == ['paid', 'scheduled', 'scheduled', 'scheduled']
    with write_session() as session:
        (listed,) = statements.list_statements(session, actor=home_.actor)
        detail = statements.statement_detail(session, actor=home_.actor, statement_id=listed.id)
    assert (listed.on_plan, listed.status, listed.amount_due, listed.due_date) == (True, 'due', 25000, rows[1].due_date)
    assert detail.plan is not None and detail.plan.plan_id == plan_id and detail.plan.installment_id == rows[1].id
    assert 'You are on a payment plan: pay $250.00' in _pdf_text(detail)


def test_a_refund_that_reopens_a_charge_still_with_insurance_waits_for_insurance(demo: DemoGateway) -> None:
    """A $155 visit paid in full at the desk, then its claim goes out; a $40 refund of that payment reopens
    $40 of the visit: it waits for the insurer like the rest of the visit, it is not asked for."""
    account, _ = make_account()
    method = make_saved_method(account)
    [visit] = make_charges(account, [15500], start=date(2026, 11, 18))
    paid = charge_saved_method(account_id=account.id, method_id=method.id, amount=15500, target='balance',
                               idempotency_key=new_key())
    make_claim(visit)
    make_charges(account, [3000], start=date(2026, 10, 20))  # not with insurance: asked for
    clerk = Actor(make_user(role='staff').id, 'staff')
    staff.refund_payment(actor=clerk, payment_id=paid.payment_id, amount_text='40', reason='Billing correction',
                         balance_after=7000)
    with read_session() as session:
        money = payable.standing(session, account.id)
        by_python = allocation.paid_on_charges(session, account.id)
    assert by_python[visit] == 11500  # the refund took $40 off what the payment had paid on the visit
    assert (money.balance, money.waiting, money.now) == (7000, 4000, 3000)


def test_on_a_plan_an_older_statement_that_was_paid_stays_paid(demo: DemoGateway) -> None:
    """A $60 statement paid in full; then a $1,000 visit, its statement, and a plan for it: the newest
    statement asks for the installment, the older one stays paid (it does not ask for the installment)."""
    home_ = household(6000)
    today = practice_today()
    run_statements(on=today - timedelta(days=40))
    older = _statement(home_.account_id)
    paid = charge_saved_method(account_id=home_.account_id, method_id=home_.method_id, amount=6000,
                               target=f'statement:{older.id}', idempotency_key=new_key())
    assert paid.status == 'succeeded'
    make_charges(home_.account_id, [100_000], start=today - timedelta(days=5))
    run_statements(on=today)
    sign(home_, months=4)
    with write_session() as session:
        newest, old = statements.list_statements(session, actor=home_.actor)
        detail = statements.statement_detail(session, actor=home_.actor, statement_id=older.id)
    assert old.id == older.id and newest.id != older.id
    assert (newest.status, newest.amount_due, newest.on_plan) == ('due', 25000, True)
    assert (old.status, old.amount_due, old.on_plan) == ('paid', 6000, False)
    assert detail.summary.status == 'paid' and detail.plan is None


def _plan_with_a_visit_still_with_insurance() -> tuple[Household, int]:
    """$500.60 payable now and a $130 visit whose claim is pending: (the household, the pending charge)."""
    home_ = household(50060)
    [visit] = make_charges(home_.account_id, [13000])
    make_claim(visit)
    return home_, visit


def test_a_new_plan_covers_only_what_is_payable_now_and_completes_without_the_pending_visit(
        demo: DemoGateway) -> None:
    """Issue 12 review: /plans offered $630.60 (the balance, with $130 waiting for insurance) while /pay
    asked for $500.60. A plan covers what is payable now; paying that completes it, the visit still waits."""
    home_, _ = _plan_with_a_visit_still_with_insurance()
    with read_session() as session:
        offered = signing.start(session, actor=home_.actor, account_id=home_.account_id)
    assert offered.payable == 50060
    plan_id = sign(home_, months=4, expected_balance=50060)
    with read_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        assert plan.total_amount == 50060
        assert coverage.funds(session, plan).need == 50060
        amount, target = checkout.amount_for(session, account_id=home_.account_id, choice='installment')
    assert amount == 12515
    paid = charge_saved_method(account_id=home_.account_id, method_id=home_.method_id, amount=50060,
                               target='balance', idempotency_key=new_key())
    assert paid.status == 'succeeded'
    with read_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        assert plan.status == 'completed'
        money = payable.standing(session, home_.account_id)
    assert (money.balance, money.waiting, money.now) == (13000, 13000, 0)


def test_with_the_hold_out_off_a_new_plan_covers_the_balance(db: str) -> None:
    home_, _ = _plan_with_a_visit_still_with_insurance()
    with write_session() as session:
        session.add(PracticeSettings(name='Riverside', hold_pending_insurance=False))
    with read_session() as session:
        assert signing.start(session, actor=home_.actor, account_id=home_.account_id).payable == 63060
    plan_id = sign(home_, months=4)
    with read_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        assert (plan.total_amount, coverage.funds(session, plan).need) == (63060, 63060)


def test_a_visit_with_insurance_when_the_plan_was_signed_is_billed_apart_once_the_insurer_answers(
        demo: DemoGateway) -> None:
    """Issue 12 review: a $130 visit waiting for insurance when the plan was signed became the patient's
    ($130 owed) and was added to the plan's last installment. It was never in the plan: it is billed apart
    from it (the policy bills new charges separately), and the installments stay as signed."""
    home_, visit = _plan_with_a_visit_still_with_insurance()
    plan_id = sign(home_, months=4, expected_balance=50060)
    with read_session() as session:
        held = session.exec(select(PlanHeldCharge.charge_id).where(PlanHeldCharge.plan_id == plan_id)).all()
        before = [row.amount for row in coverage.installments(session, plan_id)]
    assert held == [visit]
    with write_session() as session:
        session.exec(select(Claim).where(Claim.encounter_id == _encounter(session, visit))).one().status = 'denied'
        account_money_moved(session, account_id=home_.account_id)
    with read_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        money = payable.standing(session, home_.account_id)
        after = [row.amount for row in coverage.installments(session, plan_id)]
        need = coverage.funds(session, plan).need
    assert (money.balance, money.waiting, money.now) == (63060, 0, 63060)  # the visit is now asked for
    assert (need, plan.total_amount, after) == (50060, 50060, before)  # but not through the plan
    clerk = Actor(make_user(role='staff').id, 'staff')
    with write_session() as session:
        why = desk_account(session, actor=clerk, account_id=home_.account_id).why
    assert '$130.00 is owed apart from the plan: a visit it left out while insurance had it, or a charge since it ' \
           'was signed.' in why
    assert any('($500.60 left on the plan)' in line for line in why)


def _encounter(session, charge_id: int) -> int:  # noqa: ANN001
    return session.get(Charge, charge_id).encounter_id


def test_a_statements_lines_add_up_to_its_new_balance_as_of_its_date(demo: DemoGateway) -> None:
    """Issue 12 review: a $25 desk copay on a visit still with insurance left its line at "$155.00 waiting",
    and a line paid before the statement still read "You owe": each line shows what was left to pay on it
    as of the statement (with what the patient paid on it), so the lines add up to the new balance; a
    payment after the statement does not change the statement's lines."""
    account, _ = make_account()
    method = make_saved_method(account)
    patient = Actor(make_user(account=account).id, 'patient')
    [pending] = make_charges(account, [15500], start=date(2026, 11, 18))
    charge_saved_method(account_id=account.id, method_id=method.id, amount=2500, target='balance',
                        idempotency_key=new_key())  # the copay at the desk: applied to the visit
    make_claim(pending)
    older, small = make_charges(account, [30020, 2500], start=date(2026, 10, 20))
    charge_saved_method(account_id=account.id, method_id=method.id, amount=1000, target='amount:1000',
                        idempotency_key=new_key())  # applied to the oldest charge not with insurance
    run_statements(on=practice_today())
    statement = _statement(account.id)
    charge_saved_method(account_id=account.id, method_id=method.id, amount=5000, target='balance',
                        idempotency_key=new_key())  # after the statement
    with write_session() as session:
        detail = statements.statement_detail(session, actor=patient, statement_id=statement.id)
    lines = {line.charge_id: (line.paid_by_you, line.patient_owes)
             for visit in detail.visits + detail.earlier for visit_line in [visit] for line in visit_line.lines}
    assert lines == {pending: (2500, 13000), older: (1000, 29020), small: (0, 2500)}
    assert sum(owes for _, owes in lines.values()) == detail.totals.new_balance == 44520
    text = _pdf_text(detail)
    assert in_order(text, ['You paid', 'You owe', '99213', '$155.00', '$25.00', '$130.00'])


def test_a_first_statement_says_before_this_statement_not_earlier_statements(db: str) -> None:
    """Issue 12 review: an account's first statement (its history imported before it) said "Billed on an
    earlier statement" and "Still open from earlier statements", but there was no earlier statement."""
    account, _ = make_account()
    [old] = make_charges(account, [4000], start=date(2026, 9, 1))
    patient = Actor(make_user(account=account).id, 'patient')
    with write_session() as session:
        first = session.exec(select(func.max(LedgerEntry.id))).one()
    make_charges(account, [6000], start=date(2026, 11, 2))
    with write_session() as session:
        last = session.exec(select(func.max(LedgerEntry.id))).one()
        row = Statement(account_id=account.id, period='2026-11', statement_date=date(2026, 11, 24),
                        due_date=date(2026, 12, 15), first_entry_id=first, last_entry_id=last,
                        previous_balance=4000, new_charges=6000, new_balance=10000, amount_due=10000,
                        quick_pay_code='FIRSTST1')
        session.add(row)
        session.flush()
        statement_id = row.id
    with write_session() as session:
        detail = statements.statement_detail(session, actor=patient, statement_id=statement_id)
    assert detail.previous_statement_date is None
    assert detail.still_open_title == 'Still open from before this statement'
    assert [line.charge_id for visit in detail.earlier for line in visit.lines] == [old]
    assert 'earlier statements' not in _pdf_text(detail)


def test_a_visit_the_insurer_answered_after_the_statement_reads_as_it_did_on_it(demo: DemoGateway) -> None:
    """Issue 12 review, F3: once the insurer answered, the statement's summary still said "Waiting for
    insurance $130.00" (as issued) while the visit's line turned into "You owe $130.00" without its note. The
    line reads as of the statement too, and says the insurer has answered since."""
    account, _ = make_account()
    patient = Actor(make_user(account=account).id, 'patient')
    [visit] = make_charges(account, [13000], start=date(2026, 11, 18))
    make_claim(visit)
    make_charges(account, [4000], start=date(2026, 10, 20))
    run_statements(on=practice_today())
    statement = _statement(account.id)
    with write_session() as session:
        claim = session.exec(select(Claim)).one()
        claim.status, claim.adjudicated_at = 'denied', statement.issued_at + timedelta(days=2)
    with write_session() as session:
        detail = statements.statement_detail(session, actor=patient, statement_id=statement.id)
    (decided,) = [item for item in detail.visits if any(line.charge_id == visit for line in item.lines)]
    assert (decided.insurance_pending, decided.answered_since) == (True, True)
    assert detail.summary.waiting_for_insurance == 13000
    assert 'has answered since' in _pdf_text(detail)
