"""Signing a plan: every bad input is refused with a message and stores nothing; one open plan per account;
progress follows the ledger; the changes the policy allows."""
from __future__ import annotations

from datetime import date

import pytest
import time_machine
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound, ValidationFailed
from portal.models import AuditEvent, LedgerKind, PaymentPlan, PlanInstallment
from portal.services import ledger
from portal.services.plans import policy_card, signing, tracking
from tests.factories import make_charges, make_user
from tests.support.plans import household, post_charge, sign

pytestmark = pytest.mark.usefixtures('db')
NOON = '2026-11-20 18:00:00+00:00'


def _count(model) -> int:  # noqa: ANN001
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize(('kwargs', 'field'), [
    ({'months': 13}, 'months'),
    ({'months': None, 'monthly': 1000}, 'monthly'),
    ({'signed_name': 'Someone Else'}, 'signed_name'),
    ({'signed_name': ''}, 'signed_name'),
    ({'consent': False}, 'consent'),
    ({'autopay_method_id': 999}, 'autopay'),
    ({'day_of_month': 31}, 'day_of_month'),
])
def test_bad_input_is_refused_and_nothing_is_stored(kwargs: dict, field: str) -> None:
    home = household()
    values = {'account_id': home.account_id, 'day_of_month': 1, 'months': 4, 'monthly': None,
              'signed_name': 'Maria Alvarez', 'consent': True, 'autopay_method_id': home.method_id, **kwargs}
    with pytest.raises(ValidationFailed) as failure, write_session() as session:
        signing.create(session, home.actor, **values)
    assert field in failure.value.field_errors and failure.value.message
    assert _count(PaymentPlan) == 0 and _count(PlanInstallment) == 0


def test_a_balance_that_changed_since_the_page_opened_is_not_signed() -> None:
    home = household(balance=100_000)
    with pytest.raises(DomainError, match='balance changed to \\$1,000.00'), write_session() as session:
        signing.create(session, home.actor, account_id=home.account_id, day_of_month=1, months=4,
                     signed_name='Maria Alvarez', consent=True, autopay_method_id=None, expected_balance=90_000)
    assert _count(PaymentPlan) == 0


def test_a_balance_under_the_minimum_does_not_qualify() -> None:
    home = household(balance=4000)
    with read_session() as session:
        start = signing.start(session, actor=home.actor, account_id=home.account_id)
    assert not start.eligible and '$50.00' in start.reason
    with pytest.raises(ValidationFailed, match='what you owe now is \\$50.00 or more'), write_session() as session:
        signing.create(session, home.actor, account_id=home.account_id, day_of_month=1, months=2,
                     signed_name='Maria Alvarez', consent=True, autopay_method_id=None)
    assert _count(PaymentPlan) == 0


@time_machine.travel(NOON, tick=False)
def test_signing_stores_the_agreement_and_the_schedule() -> None:
    home = household(balance=100_001)
    plan_id = sign(home, months=4, day=15)
    with read_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        rows = session.exec(select(PlanInstallment).where(PlanInstallment.plan_id == plan_id)
                            .order_by(PlanInstallment.seq)).all()
        assert plan.signed_ip == '203.0.113.9' and plan.terms_version == '2026-01' and plan.signed_at
        assert plan.autopay_method_id == home.method_id and plan.status == 'active'
        assert [(row.due_date, row.amount) for row in rows] == [
            (date(2026, 12, 15), 25_000), (date(2027, 1, 15), 25_000), (date(2027, 2, 15), 25_000),
            (date(2027, 3, 15), 25_001)]
        assert session.exec(select(AuditEvent).where(AuditEvent.action == 'plan_create')).one()


def test_one_open_plan_per_account() -> None:
    home = household()
    sign(home)
    with pytest.raises(DomainError, match='already has a payment plan'), write_session() as session:
        signing.create(session, home.actor, account_id=home.account_id, day_of_month=1, months=3,
                     signed_name='Maria Alvarez', consent=True, autopay_method_id=None)
    assert _count(PaymentPlan) == 1


def test_another_patient_gets_not_found() -> None:
    home = household()
    stranger = make_user()
    with pytest.raises(NotFound), write_session() as session:
        signing.create(session, Actor(stranger.id, 'patient'), account_id=home.account_id, day_of_month=1, months=3,
                     signed_name='Maria Alvarez', consent=True, autopay_method_id=None)
    plan_id = sign(home)
    with pytest.raises(NotFound), write_session() as session:
        tracking.cancel(session, actor=Actor(stranger.id, 'patient'), plan_id=plan_id)


def test_progress_follows_the_ledger_and_new_charges_follow_the_rule() -> None:
    with time_machine.travel(NOON, tick=False) as traveller:
        home = household(balance=100_000)
        plan_id = sign(home, months=4)
        traveller.shift(60)
        _new_charges(home, plan_id)
        _a_payment_moves_progress(home)


def _a_payment_moves_progress(home) -> None:  # noqa: ANN001
    with write_session() as session:  # the first of four 26,250 installments, paid at the desk
        ledger.post(session, account_id=home.account_id, kind=LedgerKind.patient_payment, amount=-26_250,
                    external_ref='desk-payment-1', effective_date=date(2026, 11, 20))
    with write_session() as session:
        view = tracking.overview(session, actor=home.actor, account_id=home.account_id)
    assert (view.total, view.paid, view.remaining) == (107_000, 26_250, 80_750)


def _new_charges(home, plan_id: int) -> None:  # noqa: ANN001
    post_charge(home.account_id, 5000, 'new-visit')  # the policy bills new charges separately
    with write_session() as session:
        view = tracking.overview(session, actor=home.actor, account_id=home.account_id)
    assert (view.total, view.paid, view.remaining, view.next_amount) == (100_000, 0, 100_000, 25_000)
    with write_session() as session:  # now re-spread new charges
        policy = policy_card.current(session)
        policy.new_charges_rule = 'respread'
    with write_session() as session:  # viewing the plan changes nothing: the next money movement re-spreads
        view = tracking.overview(session, actor=home.actor, account_id=home.account_id)
    assert view.total == 100_000 and sum(line.amount for line in view.lines) == 100_000
    post_charge(home.account_id, 2000, 'another-visit')
    with write_session() as session:
        view = tracking.overview(session, actor=home.actor, account_id=home.account_id)
    assert view.total == 107_000 and sum(line.amount for line in view.lines) == 107_000
    assert view.id == plan_id


def test_change_day_and_cancel() -> None:
    home = household()
    plan_id = sign(home, day=1)
    with write_session() as session:
        tracking.change_day(session, actor=home.actor, plan_id=plan_id, day_of_month=20)
    with read_session() as session:
        days = {row.due_date.day for row in session.exec(select(PlanInstallment)).all()}
    assert days == {20}
    with write_session() as session:
        tracking.cancel(session, actor=home.actor, plan_id=plan_id)
    with read_session() as session:
        assert session.get(PaymentPlan, plan_id).status == 'cancelled'
    with pytest.raises(DomainError, match='already ended'), write_session() as session:
        tracking.cancel(session, actor=home.actor, plan_id=plan_id)


def test_policy_is_validated_audited_and_staff_only() -> None:
    staff = make_user(role='staff')
    patient = make_user()
    good = policy_card.PolicyForm('100.00', '30', '18', '10', 'respread')
    with pytest.raises(NotFound), write_session() as session:  # a refusal is a 404, as for a changed id
        policy_card.update(session, actor=Actor(patient.id, 'patient'), form=good)
    bad = policy_card.PolicyForm('-5', '0.50', '61', '80', 'whatever')
    with pytest.raises(ValidationFailed) as failure, write_session() as session:
        policy_card.update(session, actor=Actor(staff.id, 'staff'), form=bad)
    assert set(failure.value.field_errors) == {'min_balance', 'min_installment', 'max_months',
                                               'down_payment_percent', 'new_charges_rule'}
    with write_session() as session:
        policy = policy_card.update(session, actor=Actor(staff.id, 'staff'), form=good)
        assert (policy.min_balance, policy.min_installment, policy.max_months, policy.down_payment_percent,
                policy.new_charges_rule) == (10_000, 3000, 18, 10, 'respread')
        assert policy.terms_version != '2026-01'
        assert 'spread over the payments' in policy_card.terms(policy_card.current(session))
    with read_session() as session:
        outcomes = session.exec(select(AuditEvent.outcome).where(AuditEvent.action == 'plan_policy_update')).all()
    assert sorted(outcomes) == ['denied', 'ok']  # the patient's refusal, then the change


def test_names_match_reasonably() -> None:
    assert signing.name_matches('maria  ALVAREZ', 'Maria', 'Álvarez')
    assert signing.name_matches('Maria Elena Álvarez', 'Maria', 'Álvarez')
    assert not signing.name_matches('Maria', 'Maria', 'Álvarez')
    assert not signing.name_matches('Mario Alvarez', 'Maria', 'Álvarez')


def test_a_new_charge_cancelled_by_insurance_does_not_pay_the_plan() -> None:
    """Verifier F3: a charge posted after signing and cancelled by insurance and an adjustment leaves the
    plan's need as it was; opening the plan neither shows nor stores it as paid off."""
    with time_machine.travel(NOON, tick=False) as traveller:
        home = household(balance=10_052)
        plan_id = sign(home, months=2)
        traveller.shift(60)
        [charge] = make_charges(home.account_id, [24_000])
        with write_session() as session:
            ledger.post(session, account_id=home.account_id, kind=LedgerKind.insurance_payment, amount=-20_000,
                        external_ref='era-1', effective_date=date(2026, 11, 20), charge_id=charge)
            ledger.post(session, account_id=home.account_id, kind=LedgerKind.contractual_adjustment,
                        amount=-4_000, external_ref='adj-1', effective_date=date(2026, 11, 20), charge_id=charge)
        with write_session() as session:
            view = tracking.overview(session, actor=home.actor, account_id=home.account_id)
        assert (view.status, view.paid, view.remaining, view.next_amount) == ('active', 0, 10_052, 5_026)
        assert {line.status for line in view.lines} == {'scheduled'}
        with read_session() as session:
            assert session.get(PaymentPlan, plan_id).status == 'active'
            assert {row.status for row in session.exec(select(PlanInstallment)
                                                       .where(PlanInstallment.plan_id == plan_id))} == {'scheduled'}
