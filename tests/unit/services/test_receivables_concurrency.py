"""Money moves at once: the rollups take each transaction's changes at its commit, in one lock order
(receivables.apply_pending), so transactions on different accounts overlap, none deadlocks, and no update is
lost. The PostgreSQL tests are the point (SQLite runs one writer at a time); the crowd runs on both."""
from __future__ import annotations

import random
import threading
import time
from datetime import date

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from portal.db import read_session, write_session
from portal.models import ChargeBalance, LedgerDay
from portal.services import ledger, receivables
from portal.services.money_moved import account_money_moved
from portal.services.payments.attempts import lock_account
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

WAIT = 20  # seconds a thread waits for another before the test gives up on it


def _accounts(count: int, amounts: list[int], *, start: date = date(2026, 1, 5)) -> list[tuple[int, list[int]]]:
    """Accounts with these charges (the same dates of service, provider and location: they share rollup
    rows), their balances brought up to date."""
    made = []
    for _ in range(count):
        account, _ = make_account()
        made.append((account.id, make_charges(account, amounts, start=start)))
    with write_session() as session:
        for account_id, _ in made:
            account_money_moved(session, account_id=account_id)
    return made


def _adjust(session: Session, charge_id: int, account_id: int, day: date, kind: str = 'write_off') -> None:
    ledger.post(session, account_id=account_id, kind=kind, amount=-100, external_ref=f'overlap-{charge_id}-{day}',
                effective_date=day, charge_id=charge_id)
    account_money_moved(session, account_id=account_id)


def _short_lock_wait(session: Session) -> None:
    """Fail fast (LockNotAvailable) rather than wait for a lock another transaction holds."""
    session.connection().execute(text("SET LOCAL lock_timeout = '2s'"))


def _run(*targets) -> list[BaseException]:  # noqa: ANN002
    errors: list[BaseException] = []

    def guarded(target) -> None:  # noqa: ANN001
        try:
            target()
        except BaseException as error:  # noqa: BLE001  (the test reports it)
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 3)
    assert not any(thread.is_alive() for thread in threads), 'a transaction is still waiting'
    return errors


def _assert_rollups_equal_a_reading_from_scratch() -> None:
    with read_session() as session:
        everyone = {}
        for account_id in set(session.exec(select(ChargeBalance.account_id))):
            reference = reference_balances(session, account_id)
            assert stored_balances(session, account_id) == reference
            everyone.update(reference)
        assert stored_rollup(session) == {key: value for key, value in rollup_of(everyone).items() if any(value)}
        assert stored_totals(session) == totals_of(everyone)
    with write_session() as session:  # ledger_day: what a rebuild from the ledger gives (rolled back)
        kept = _days(session)
        receivables.rebuild(session.connection())
        assert _days(session) == kept
        session.rollback()


def _days(session: Session) -> dict[tuple, tuple[int, int]]:
    return {(row.day, row.kind, row.method, row.channel): (row.entries, row.amount)
            for row in session.exec(select(LedgerDay)) if row.entries or row.amount}


@pytest.mark.parametrize('db', ['postgres'], indirect=True)
def test_a_transaction_open_on_one_account_does_not_hold_up_a_payment_on_another(db: str) -> None:
    """Under the old shared advisory lock the first transaction held every money move from its refresh to its
    commit: the second would wait (here: fail after 2 s). Now nothing is locked before the commit."""
    (a, (on_a,)), (b, (on_b,)) = _accounts(2, [5000])
    noted, other_done = threading.Event(), threading.Event()

    def held_open() -> None:
        with write_session() as session:
            _adjust(session, on_a, a, date(2026, 2, 1))  # its money-moved step has run
            noted.set()
            assert other_done.wait(WAIT), 'the other transaction did not commit while this one was open'

    def other() -> None:
        assert noted.wait(WAIT)
        with write_session() as session:
            _short_lock_wait(session)
            _adjust(session, on_b, b, date(2026, 2, 1))  # the same day and kind: the same ledger_day row
        other_done.set()

    assert _run(held_open, other) == []
    _assert_rollups_equal_a_reading_from_scratch()


@pytest.mark.parametrize('db', ['postgres'], indirect=True)
def test_two_accounts_commit_steps_overlap_when_they_share_no_rollup_row(db: str) -> None:
    """The first transaction has applied its changes (its account's lock and its rollup and total rows are
    held until it commits); a second on another account, another day of service, another responsibility (so
    another total row) and another day of the ledger commits meanwhile. (Two accounts sharing a row take
    turns for that row, from their commit step to their commit only.)"""
    ((a, (on_a,)),) = _accounts(1, [5000], start=date(2026, 1, 5))
    ((b, (on_b,)),) = _accounts(1, [5000], start=date(2026, 1, 9))
    make_claim(on_a, status='submitted')  # a's charge waits for insurance, b's is the patient's
    with write_session() as session:
        account_money_moved(session, account_id=a)
    applied, other_done = threading.Event(), threading.Event()

    def held_in_commit_step() -> None:
        with write_session() as session:
            _adjust(session, on_a, a, date(2026, 2, 1))
            assert receivables.apply_pending(session) == 1  # what the commit runs: the locks are taken
            applied.set()
            assert other_done.wait(WAIT), 'the other transaction did not commit while this one held its locks'

    def other() -> None:
        assert applied.wait(WAIT)
        with write_session() as session:
            _short_lock_wait(session)
            _adjust(session, on_b, b, date(2026, 2, 2))
        other_done.set()

    assert _run(held_in_commit_step, other) == []
    _assert_rollups_equal_a_reading_from_scratch()


@pytest.mark.parametrize('db', ['postgres'], indirect=True)
def test_two_transactions_on_one_account_take_turns_and_the_second_reads_the_first(db: str) -> None:
    """The account's lock: the second waits for the first's commit, then recomputes from what it committed
    (had it read before, the first's changes to the rollups would be counted twice or lost)."""
    ((a, (first, second)),) = _accounts(1, [5000, 3000])
    applied = threading.Event()
    order: list[str] = []

    def slow() -> None:
        with write_session() as session:
            _adjust(session, first, a, date(2026, 2, 1))
            receivables.apply_pending(session)
            applied.set()
            time.sleep(1.0)
            order.append('first committed')

    def waiting() -> None:
        assert applied.wait(WAIT)
        with write_session() as session:
            _adjust(session, second, a, date(2026, 2, 1), kind='contractual_adjustment')
        order.append('second committed')

    assert _run(slow, waiting) == []
    assert order == ['first committed', 'second committed']
    with read_session() as session:
        stored = stored_balances(session, a)
    assert (stored[first]['adjusted'], stored[second]['adjusted']) == (100, 100)
    _assert_rollups_equal_a_reading_from_scratch()


@pytest.mark.parametrize('db', ['sqlite', 'postgres'], indirect=True)
def test_a_crowd_of_money_moves_on_shared_and_separate_accounts_neither_deadlocks_nor_loses_an_update(
        db: str) -> None:
    """24 threads, 6 money moves each, at once: payments (the account row locked first, as the payment flow
    does), refunds, adjustments, write-offs and insurance payments, claim decisions, and imports posting on
    two accounts in either order in one transaction, over 4 accounts whose charges share rollup rows."""
    accounts = _accounts(4, [40000, 25000, 12000])
    claims = [make_claim(charges[1], status='submitted') for _, charges in accounts]
    with write_session() as session:
        for account_id, _ in accounts:
            account_money_moved(session, account_id=account_id)
    start = threading.Barrier(24, timeout=WAIT)
    posted: list[int] = []  # ledger entries each transaction posted (list.append is atomic)

    def worker(seed: int) -> None:
        pick = random.Random(seed)
        mine: list[int] = []
        start.wait()
        for step in range(6):
            account_id, charges = pick.choice(accounts)
            action = pick.choice(['pay', 'pay', 'refund', 'adjust', 'insurance', 'write_off', 'decide', 'import'])
            entries = 2 if action == 'import' else 0 if action == 'decide' else 1
            with write_session() as session:
                if action == 'pay' or action == 'refund' and not mine:
                    lock_account(session, account_id)
                    mine.append(pay(session, account_id, pick.randint(1, 900)))
                elif action == 'refund':
                    refund(session, pick.choice(mine), pick.randint(1, 50))
                elif action == 'decide':
                    decide(session, claims[accounts.index((account_id, charges))], pick.choice(['paid', 'denied']))
                elif action == 'import':  # two accounts in one transaction, in the order they come
                    for _other_id, other_charges in pick.sample(accounts, 2):
                        post_on_charge(session, other_charges[0], 'insurance_payment', -pick.randint(1, 300),
                                       on=date(2026, 2, 1 + step))
                else:
                    kind = {'adjust': 'contractual_adjustment', 'insurance': 'insurance_payment',
                            'write_off': 'write_off'}[action]
                    post_on_charge(session, pick.choice(charges), kind, -pick.randint(1, 400),
                                   on=date(2026, 2, 1 + step))
            posted.append(entries)  # committed

    errors = _run(*[lambda seed=seed: worker(seed) for seed in range(24)])
    assert errors == [], errors[:3]
    _assert_rollups_equal_a_reading_from_scratch()
    assert len(posted) == 24 * 6
    with read_session() as session:  # every move landed, and ledger_day counted each entry once
        entries = session.connection().execute(text("SELECT COUNT(*) FROM ledger_entry WHERE kind <> 'charge'"))
        counted = session.connection().execute(text("SELECT SUM(entries) FROM ledger_day WHERE kind <> 'charge'"))
        assert entries.scalar() == counted.scalar() == sum(posted)
