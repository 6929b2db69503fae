"""The ledger: append-only, idempotent by external reference, balances are sums."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, update
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from portal.db import read_session, write_session
from portal.models import GuarantorAccount, LedgerEntry
from portal.services import ledger


def make_account() -> int:
    with write_session() as session:
        account = GuarantorAccount(account_number='A00000001', guarantor_first_name='Ana',
                                   guarantor_last_name='Lee')
        session.add(account)
        session.flush()
        return account.id


def test_balance_is_the_sum_of_entries(db: str) -> None:
    account_id = make_account()
    with write_session() as session:
        ledger.post(session, account_id=account_id, kind='charge', amount=20000, external_ref='c1',
                    effective_date=date(2026, 1, 5))
        ledger.post(session, account_id=account_id, kind='insurance_payment', amount=-12000,
                    external_ref='i1', effective_date=date(2026, 2, 1))
        ledger.post(session, account_id=account_id, kind='contractual_adjustment', amount=-3000,
                    external_ref='a1', effective_date=date(2026, 2, 1))
    with read_session() as session:
        assert ledger.balance(session, account_id) == 5000


def test_the_same_reference_posts_once(db: str) -> None:
    account_id = make_account()
    for _ in range(3):
        with write_session() as session:
            entry, _created = ledger.post(session, account_id=account_id, kind='patient_payment', amount=-2500,
                                          external_ref='pi_123', effective_date=date(2026, 3, 1))
    with read_session() as session:
        assert len(session.exec(select(LedgerEntry)).all()) == 1
        assert ledger.balance(session, account_id) == -2500


def test_amounts_must_be_int_minor_units(db: str) -> None:
    account_id = make_account()
    with write_session() as session, pytest.raises(TypeError):
        ledger.post(session, account_id=account_id, kind='charge', amount=12.5, external_ref='f',  # type: ignore[arg-type]
                    effective_date=date(2026, 1, 1))


def test_the_database_refuses_to_update_or_delete_ledger_rows(db: str) -> None:
    account_id = make_account()
    with write_session() as session:
        ledger.post(session, account_id=account_id, kind='charge', amount=100, external_ref='x',
                    effective_date=date(2026, 1, 1))
    with pytest.raises(DatabaseError, match='append-only'), write_session() as session:
        session.execute(update(LedgerEntry).values(amount=1))
    with pytest.raises(DatabaseError, match='append-only'), write_session() as session:
        session.execute(delete(LedgerEntry))
    with read_session() as session:
        assert ledger.balance(session, account_id) == 100


@pytest.mark.parametrize(('kind', 'amount'), [('charge', -100), ('refund', 0), ('patient_payment', 500),
                                              ('insurance_payment', 1), ('write_off', 10), ('correction', 0),
                                              ('gift', 100)])
def test_each_kind_has_its_sign(db: str, kind: str, amount: int) -> None:
    account_id = make_account()
    with write_session() as session, pytest.raises(ValueError):
        ledger.post(session, account_id=account_id, kind=kind, amount=amount, external_ref='bad',
                    effective_date=date(2026, 1, 1))


def test_a_replay_with_other_figures_is_refused(db: str) -> None:
    account_id = make_account()
    with write_session() as session:
        ledger.post(session, account_id=account_id, kind='patient_payment', amount=-2500, external_ref='pi_9',
                    effective_date=date(2026, 3, 1))
    with write_session() as session, pytest.raises(ledger.LedgerConflict):
        ledger.post(session, account_id=account_id, kind='patient_payment', amount=-2000, external_ref='pi_9',
                    effective_date=date(2026, 3, 1))
    with write_session() as session:  # an exact replay is fine
        _entry, created = ledger.post(session, account_id=account_id, kind='patient_payment', amount=-2500,
                                      external_ref='pi_9', effective_date=date(2026, 3, 1))
    assert not created
