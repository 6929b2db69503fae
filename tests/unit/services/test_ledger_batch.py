"""ledger.post_many: the one writer's batch form keeps post()'s rules (sign, one row per reference, the same
reference with other figures refused)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.models import LedgerEntry
from portal.services import ledger
from tests.factories import make_account

DAY = date(2026, 3, 2)


def _entry(account_id: int, ref: str, amount: int = -500, kind: str = 'insurance_payment') -> dict:
    return {'account_id': account_id, 'kind': kind, 'amount': amount, 'external_ref': ref, 'effective_date': DAY}


def test_a_batch_posts_each_reference_once_and_says_which_it_created(db: str) -> None:
    account, _ = make_account()
    with write_session() as session:
        first = ledger.post_many(session, [_entry(account.id, 'b-1'), _entry(account.id, 'b-2', -700)])
    with write_session() as session:
        again = ledger.post_many(session, [_entry(account.id, 'b-2', -700), _entry(account.id, 'b-3', -100)])
    assert [created for _, created in first.values()] == [True, True]
    assert (again['b-2'], again['b-3'][1]) == ((first['b-2'][0], False), True)
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LedgerEntry)).one() == 3
        assert ledger.balance(session, account.id) == -1300


@pytest.mark.parametrize('entries', [
    [{'amount': 500}],  # an insurance payment cannot raise what the patient owes
    [{'amount': -500}, {'amount': -600}],  # one reference, two figures in one batch
])
def test_a_bad_batch_posts_nothing(db: str, entries: list[dict]) -> None:
    account, _ = make_account()
    with pytest.raises((ValueError, ledger.LedgerConflict)), write_session() as session:
        ledger.post_many(session, [_entry(account.id, 'same', **entry) for entry in entries])
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(LedgerEntry)).one() == 0


def test_a_reference_posted_before_with_other_figures_is_refused(db: str) -> None:
    account, _ = make_account()
    with write_session() as session:
        ledger.post_many(session, [_entry(account.id, 'r-1')])
    with pytest.raises(ledger.LedgerConflict), write_session() as session:
        ledger.post_many(session, [_entry(account.id, 'r-1', -501)])
