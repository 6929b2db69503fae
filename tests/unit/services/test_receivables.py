"""Each charge's open amount and responsibility (charge_balance) and their rollup stay equal to a reading
from scratch after any mix of payments, refunds, adjustments, insurance postings and claim decisions,
written through the ledger's one writer and the money-moved step; the rebuild command gives the same."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from portal.db import read_session, write_session
from portal.models import ChargeBalance, LedgerDay
from portal.services import receivables
from portal.services.money_moved import account_money_moved
from tests.factories import make_account, make_charges, make_claim
from tests.support.receivables import (
    decide,
    pay,
    post_on_charge,
    reference_balances,
    refund,
    rollup_of,
    stored_balances,
    stored_rollup,
    stored_totals,
    totals_of,
)


def _account_with(amounts: list[int], *, claims: dict[int, str] | None = None) -> tuple[int, list[int], list[int]]:
    """An account with these charges and claims (charge index -> status), its balances brought up to date as
    the writer of charges and claims does (the money-moved step)."""
    account, _ = make_account()
    charges = make_charges(account, amounts)
    claim_ids = [make_claim(charges[index], status=status) for index, status in (claims or {}).items()]
    with write_session() as session:
        account_money_moved(session, account_id=account.id)
    return account.id, charges, claim_ids


def test_a_charge_s_open_amount_is_what_insurance_adjustments_and_payments_left(db: str) -> None:
    account_id, (office, lab), (claim,) = _account_with([20000, 8000], claims={1: 'submitted'})
    with write_session() as session:
        post_on_charge(session, office, 'insurance_payment', -9000)
        post_on_charge(session, office, 'contractual_adjustment', -4000)
        decide(session, claim, 'submitted')  # the claim is still with the insurer
        payment = pay(session, account_id, 5000)  # to the office visit: the lab charge waits for insurance
        refund(session, payment, 1500)
    with read_session() as session:
        rows = {row.charge_id: row for row in session.exec(select(ChargeBalance))}
    assert (rows[office].insurance_paid, rows[office].adjusted, rows[office].patient_paid) == (9000, 4000, 3500)
    assert rows[office].open_amount == 20000 - 9000 - 4000 - 3500
    assert (rows[office].responsibility, rows[lab].responsibility) == ('patient', 'insurance')
    assert rows[lab].open_amount == 8000
    with write_session() as session:
        decide(session, claim, 'denied')  # the insurer said no: the patient owes the lab charge
    with read_session() as session:
        assert session.get(ChargeBalance, lab).responsibility == 'patient'


def test_the_ledger_by_day_counts_each_entry_once_with_its_payment_s_method(db: str) -> None:
    account_id, _, _ = _account_with([10000])
    with write_session() as session:
        pay(session, account_id, 2500, method='check', on=date(2026, 3, 4))
    with read_session() as session:
        days = {(row.day, row.kind, row.method): (row.entries, row.amount) for row in session.exec(select(LedgerDay))}
    assert days[(date(2026, 3, 4), 'patient_payment', 'check')] == (1, -2500)
    assert days[(date(2026, 1, 5), 'charge', '')] == (1, 10000)


steps = st.lists(st.tuples(
    st.sampled_from(['pay', 'refund', 'insurance', 'adjust', 'write_off', 'decide']),
    st.integers(min_value=0, max_value=3), st.integers(min_value=1, max_value=12000),
    st.sampled_from(['paid', 'denied', 'appealed', 'in_process', 'partially_paid'])), min_size=1, max_size=14)


@pytest.mark.parametrize('db', ['sqlite', 'postgres'], indirect=True)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(activity=steps)
def test_balances_and_rollup_equal_a_reading_from_scratch_after_any_activity(db: str, activity: list) -> None:
    account_id, charges, claims = _account_with([15000, 7000, 4200, 990], claims={1: 'submitted', 3: 'in_process'})
    payments: list[int] = []
    with write_session() as session:
        for action, which, amount, status in activity:
            charge = charges[which]
            if action == 'pay':
                payments.append(pay(session, account_id, amount))
            elif action == 'refund' and payments:
                refund(session, payments[which % len(payments)], max(1, amount % 3000))
            elif action in ('insurance', 'adjust', 'write_off'):
                kind = {'insurance': 'insurance_payment', 'adjust': 'contractual_adjustment',
                        'write_off': 'write_off'}[action]
                post_on_charge(session, charge, kind, -amount)
            elif action == 'decide':
                decide(session, claims[which % 2], status)
    with read_session() as session:
        reference = reference_balances(session, account_id)
        assert stored_balances(session, account_id) == reference
        everyone = {}
        for other in set(session.exec(select(ChargeBalance.account_id))):
            everyone.update(reference_balances(session, other))
        assert stored_rollup(session) == {key: value for key, value in rollup_of(everyone).items() if any(value)}
        assert stored_totals(session) == totals_of(everyone)


def test_rebuilding_gives_what_was_kept_current(db: str) -> None:
    account_id, charges, _ = _account_with([15000, 7000], claims={1: 'submitted'})
    with write_session() as session:
        payment = pay(session, account_id, 9000)
        refund(session, payment, 2000)
        post_on_charge(session, charges[0], 'contractual_adjustment', -1000)
    with read_session() as session:
        kept, rollup = stored_balances(session, account_id), stored_rollup(session)
        days = {(row.day, row.kind, row.method, row.channel): (row.entries, row.amount)
                for row in session.exec(select(LedgerDay))}
    with write_session() as session:
        assert receivables.rebuild(session.connection()) == 2
    with read_session() as session:
        assert stored_balances(session, account_id) == kept
        assert stored_rollup(session) == rollup
        assert {(row.day, row.kind, row.method, row.channel): (row.entries, row.amount)
                for row in session.exec(select(LedgerDay))} == days


@pytest.mark.parametrize('db', ['postgres'], indirect=True)
def test_refreshing_does_not_wait_for_the_scheduler_s_leader_lock(db: str) -> None:
    """The leader lock (portal/jobs/leader.py) is held for as long as a process leads: a refresh that took the
    same key would wait for ever."""
    from sqlalchemy import create_engine, text

    from portal.jobs.leader import ADVISORY_KEY
    account_id, _, _ = _account_with([5000])
    leader = create_engine(db.replace('postgresql://', 'postgresql+psycopg://', 1) if db.startswith('postgresql://')
                           else db).connect()
    try:
        leader.execute(text('SELECT pg_advisory_lock(:key)'), {'key': ADVISORY_KEY})
        leader.commit()
        with write_session() as session:
            session.connection().execute(text("SET LOCAL lock_timeout = '2s'"))
            pay(session, account_id, 1000)  # the money-moved step refreshes the account
    finally:
        leader.close()
