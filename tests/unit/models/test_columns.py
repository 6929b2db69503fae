"""Named states are stored as plain text and read back as their StrEnum; a misspelt state never reaches
the database (issue 11, item 4)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import StatementError
from sqlmodel import select

from portal.db import read_session, write_session
from portal.models import AccountFlag, FlagKind, LedgerEntry, LedgerKind, Payment, PaymentStatus
from tests.factories import make_account, make_charges


def test_a_state_is_stored_as_its_text_and_read_back_as_the_enum(db: str) -> None:
    account, _ = make_account()
    with write_session() as session:
        session.add(Payment(account_id=account.id, amount=100, method='cash', receipt_number='R-STATE-1',
                            status=PaymentStatus.succeeded))
        session.add(AccountFlag(account_id=account.id, kind=FlagKind.financial_assistance))
    with read_session() as session:
        stored = session.connection().execute(text('SELECT status FROM payment')).scalar_one()
        flag = session.connection().execute(text('SELECT kind FROM account_flag')).scalar_one()
        payment = session.exec(select(Payment)).one()
    assert (stored, flag) == ('succeeded', 'financial_assistance_pending')
    assert type(stored) is str and payment.status is PaymentStatus.succeeded


def test_a_misspelt_state_is_refused(db: str) -> None:
    account, _ = make_account()
    with pytest.raises(StatementError, match='succeded'), write_session() as session:
        session.add(Payment(account_id=account.id, amount=100, method='cash', receipt_number='R-STATE-2',
                            status='succeded'))
    with read_session() as session:
        assert session.connection().execute(text('SELECT count(*) FROM payment')).scalar_one() == 0


def test_an_expression_over_a_state_column_reads_back_text_that_is_no_member(db: str) -> None:
    account, _ = make_account()
    make_charges(account, [500])
    with read_session() as session:
        kinds = session.connection().execute(
            select(LedgerEntry.kind, func.coalesce(LedgerEntry.corrects_kind, ''))).one()
    assert kinds == (LedgerKind.charge, '')
