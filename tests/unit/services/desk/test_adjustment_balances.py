"""A desk adjustment lands on the account's open charges (patient's first, oldest first), one write-off per
charge, so each charge's balance, the dashboard's rollups and its total A/R follow it, after it is posted at
once, after approval and after it is reversed; the ledger's sum and the patient's due-now are what a
whole-account write-off gave."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import col, func, select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import LedgerEntry, LedgerKind, PracticeSettings
from portal.services import dashboard, ledger, payable
from portal.services.dashboard import Filters
from portal.services.desk import adjustments, corrections
from portal.services.money_moved import account_money_moved
from tests.factories import make_account, make_charges, make_claim, make_user
from tests.support.receivables import reference_balances, rollup_of, stored_balances, stored_rollup

STAFF = Actor(user_id=0, role='staff')


def _account(amounts: list[int], *, pending: tuple[int, ...] = ()) -> tuple[int, list[int]]:
    """An account with these charges (oldest first), those at the `pending` indexes waiting for insurance, in
    a practice whose approval limit is $100.00."""
    account, _ = make_account()
    charges = make_charges(account, amounts)
    for index in pending:
        make_claim(charges[index], status='in_process')
    with write_session() as session:
        account_money_moved(session, account_id=account.id)
        settings = session.exec(select(PracticeSettings)).first()
        if settings is None:
            session.add(PracticeSettings(name='Test practice', adjustment_approval_limit=10_000))
        else:
            settings.adjustment_approval_limit = 10_000
    return account.id, charges


def _request(actor: Actor, account_id: int, amount: str) -> adjustments.AdjustmentOutcome:
    with write_session() as session:
        return adjustments.request_adjustment(session, actor=actor, account_id=account_id, amount_text=amount,
                                              reason='financial_hardship')


def _parts(request_id: int) -> list[tuple[int | None, int]]:
    with read_session() as session:
        return [(entry.charge_id, entry.amount) for entry in adjustments.entries_of(session, request_id)]


def _assert_balances_follow_the_ledger(account_id: int, *, credit: bool = False) -> None:
    """charge_balance and the rollup equal a reading from scratch; the dashboard's total A/R is the ledger's
    balance (the only account of the test database), unless the account is in credit."""
    with read_session() as session:
        reference = reference_balances(session, account_id)
        assert stored_balances(session, account_id) == reference
        assert stored_rollup(session) == {key: value for key, value in rollup_of(reference).items() if any(value)}
        if credit:
            return
        total_ar = dashboard.collections_dashboard(session, actor=STAFF, filters=Filters()).total_ar
        assert total_ar == sum(row['open_amount'] for row in reference.values()) == ledger.balance(session, account_id)


def _payable(account_id: int) -> int:
    with read_session() as session:
        return payable.payable_now(session, account_id)


def test_an_adjustment_posted_at_once_takes_the_oldest_charge_first_and_splits_over_two(db: str) -> None:
    account_id, charges = _account([5000, 3000])
    outcome = _request(Actor(make_user(role='staff').id, 'staff'), account_id, '70.00')
    assert outcome.posted
    assert _parts(outcome.request_id) == [(charges[0], -5000), (charges[1], -2000)]
    _assert_balances_follow_the_ledger(account_id)
    with read_session() as session:
        assert ledger.balance(session, account_id) == 1000
        assert {charge: row['open_amount'] for charge, row in stored_balances(session, account_id).items()} == \
            {charges[0]: 0, charges[1]: 1000}
    assert _payable(account_id) == 1000


def test_an_adjustment_spares_charges_held_for_insurance_so_due_now_is_as_before(db: str) -> None:
    account_id, charges = _account([5000, 3000], pending=(0,))  # the older charge waits for the insurer
    assert _payable(account_id) == 3000
    outcome = _request(Actor(make_user(role='staff').id, 'staff'), account_id, '20.00')
    assert _parts(outcome.request_id) == [(charges[1], -2000)]
    assert _payable(account_id) == 1000  # what a whole-account write-off of $20 left to pay now
    _assert_balances_follow_the_ledger(account_id)


def test_an_approved_adjustment_and_its_reversal_keep_the_balances_and_the_dashboard_right(db: str) -> None:
    account_id, charges = _account([9000, 9000, 6000])
    first, second = Actor(make_user(role='admin').id, 'admin'), Actor(make_user(role='admin').id, 'admin')
    outcome = _request(first, account_id, '150.00')
    assert not outcome.posted and _parts(outcome.request_id) == []
    with write_session() as session:
        adjustments.approve(session, actor=second, request_id=outcome.request_id)
    assert _parts(outcome.request_id) == [(charges[0], -9000), (charges[1], -6000)]
    _assert_balances_follow_the_ledger(account_id)
    with write_session() as session:  # reversing one of its lines reverses the whole adjustment
        later = adjustments.entries_of(session, outcome.request_id)[1].id
        corrections.reverse_write_off(session, actor=second, entry_id=later, reason='Not eligible')
    with read_session() as session:
        assert ledger.balance(session, account_id) == 24000
        fixes = session.exec(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.correction)
                             .order_by(col(LedgerEntry.id))).all()
        posted = adjustments.entries_of(session, outcome.request_id)
        assert sorted((fix.corrects_entry_id, fix.charge_id, fix.amount, fix.corrects_kind) for fix in fixes) == \
            sorted((entry.id, entry.charge_id, -entry.amount, LedgerKind.write_off) for entry in posted)
    _assert_balances_follow_the_ledger(account_id)
    with pytest.raises(ValidationFailed, match='already corrected'), write_session() as session:
        corrections.reverse_write_off(session, actor=second, entry_id=posted[0].id, reason='Again')


def test_posting_an_adjustment_again_posts_nothing_twice(db: str) -> None:
    account_id, charges = _account([9000, 6000])
    first, second = Actor(make_user(role='admin').id, 'admin'), Actor(make_user(role='admin').id, 'admin')
    outcome = _request(first, account_id, '120.00')
    with write_session() as session:
        adjustments.approve(session, actor=second, request_id=outcome.request_id)
    with pytest.raises(ValidationFailed, match='already decided'), write_session() as session:  # a double click
        adjustments.approve(session, actor=second, request_id=outcome.request_id)
    with write_session() as session:  # a retried posting finds its entries by their shared reference prefix
        request = session.get(adjustments.AdjustmentRequest, outcome.request_id)
        adjustments._post(session, request, decided_by=second, action='adjustment_approved')
    with read_session() as session:
        count = session.exec(select(func.count()).select_from(LedgerEntry)
                             .where(LedgerEntry.kind == LedgerKind.write_off)).one()
        assert count == 2 and ledger.balance(session, account_id) == 3000
    assert _parts(outcome.request_id) == [(charges[0], -9000), (charges[1], -3000)]
    _assert_balances_follow_the_ledger(account_id)


def test_voiding_and_repointing_a_charge_after_an_adjustment_keep_the_balances_right(db: str) -> None:
    account, patients = make_account()
    charges = make_charges(account, [5000, 3000], start=date(2026, 1, 5))
    staff = Actor(make_user(role='staff').id, 'staff')
    _request(staff, account.id, '60.00')
    with read_session() as session:
        first, second = (session.exec(select(LedgerEntry.id).where(LedgerEntry.charge_id == charge,
                                                                   LedgerEntry.kind == LedgerKind.charge)).one()
                         for charge in charges)
    with write_session() as session:
        corrections.void_charge(session, actor=staff, entry_id=first, reason='Wrong account')
    _assert_balances_follow_the_ledger(account.id, credit=True)  # the $50 written off the voided charge: a credit
    with write_session() as session:
        corrections.repoint_charge(session, actor=staff, entry_id=second, reason='Wrong code', code='99214',
                                   patient_id=patients[0].id, amount_text='40.00')
    _assert_balances_follow_the_ledger(account.id, credit=True)



def test_rebuild_balances_spreads_an_adjustment_posted_on_the_account_before_adjustments_were_spread(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Before adjustments were spread over charges, one posted as a single write-off on no charge: the
    ledger's balance took it, the charges' balances and the dashboard's A/R did not. `python -m portal
    rebuild-balances` corrects that line and posts it again over the charges: A/R is the balance again, the
    balance and the write-offs of its day are unchanged, a second run changes nothing, and reversing the
    adjustment afterwards puts it all back."""
    import argparse

    from portal.cli import cmd_rebuild_balances
    from portal.models import AuditEvent
    from portal.models.desk import AdjustmentReason, AdjustmentRequest, AdjustmentStatus

    account_id, charges = _account([5000, 3000])
    clerk = make_user(role='staff').id
    with write_session() as session:  # what the desk posted then
        request = AdjustmentRequest(account_id=account_id, amount=6000, reason=AdjustmentReason.financial_hardship,
                                    status=AdjustmentStatus.posted, requested_by_user_id=clerk)
        session.add(request)
        session.flush()
        old, _ = ledger.post(session, account_id=account_id, kind=LedgerKind.write_off, amount=-6000,
                             external_ref=adjustments.ref_prefix(request.id), effective_date=date(2026, 2, 3),
                             memo='financial_hardship', created_by_user_id=clerk)
        request.ledger_entry_id = old.id
        account_money_moved(session, account_id=account_id)
        request_id, old_id = request.id, old.id
    with read_session() as session:
        assert sum(row['open_amount'] for row in stored_balances(session, account_id).values()) == 8000  # not 2000
        days_before = _write_offs_by_day(session)

    assert cmd_rebuild_balances(argparse.Namespace()) == 0
    assert 'Spread 1 account-level adjustments' in capsys.readouterr().out
    assert _parts(request_id) == [(None, -6000), (charges[0], -5000), (charges[1], -1000)]  # the first corrected
    _assert_balances_follow_the_ledger(account_id)
    with read_session() as session:
        assert ledger.balance(session, account_id) == 2000
        assert _write_offs_by_day(session) == days_before
        assert session.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == 'adjustment_spread', AuditEvent.entity_id == str(old_id))).one() == 1

    assert cmd_rebuild_balances(argparse.Namespace()) == 0  # nothing left to spread
    assert 'Spread' not in capsys.readouterr().out
    assert len(_parts(request_id)) == 3

    with write_session() as session:  # reversing one line reverses the adjustment, once
        corrections.reverse_write_off(session, actor=Actor(clerk, 'staff'), entry_id=adjustments.entries_of(
            session, request_id)[1].id, reason='posted to the wrong account')
    _assert_balances_follow_the_ledger(account_id)
    with read_session() as session:
        assert ledger.balance(session, account_id) == 8000


def _write_offs_by_day(session) -> dict:  # noqa: ANN001
    from portal.models import LedgerDay
    return {row.day: row.amount for row in session.exec(select(LedgerDay).where(LedgerDay.kind == 'write_off'))}
