"""The statement identity of DESIGN.md, as properties: previous balance + charges + refunds
- insurance payments - adjustments and write-offs - patient payments = new balance, for any
sequence of ledger entries (corrections counting in the kind they correct), and each statement's
previous balance is the new balance of the one before."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

from portal.db import read_session, write_session
from portal.models import LedgerEntry, LedgerKind, Statement
from portal.services import ledger
from portal.services.ledger import RAISES as RAISES_KINDS
from portal.services.statement_run import run_statements
from portal.services.statement_totals import totals_of
from tests.factories import make_account

LOWERING = [LedgerKind.insurance_payment, LedgerKind.contractual_adjustment, LedgerKind.patient_payment,
            LedgerKind.write_off]
KINDS = sorted(RAISES_KINDS) + LOWERING


@st.composite
def entries(draw) -> tuple[str, int, str | None]:  # noqa: ANN001
    """(kind, signed amount, corrects_kind) with the sign rule of the ledger."""
    kind = draw(st.sampled_from(KINDS + [LedgerKind.correction]))
    amount = draw(st.integers(min_value=1, max_value=500_000))
    if kind == LedgerKind.correction:
        corrected = draw(st.sampled_from(KINDS + [None]))
        return kind, amount * draw(st.sampled_from([1, -1])), corrected
    return kind, amount if kind in RAISES_KINDS else -amount, None


@given(previous=st.integers(min_value=-100_000, max_value=1_000_000), sequence=st.lists(entries(), max_size=40))
def test_identity_holds_for_any_entries(previous: int, sequence: list) -> None:
    totals = totals_of(previous, sequence)
    assert totals.new_balance == previous + sum(amount for _, amount, _ in sequence)
    assert totals.new_balance == (totals.previous_balance + totals.new_charges + totals.refunds
                                  - totals.insurance_payments - totals.adjustments - totals.patient_payments)


@given(sequence=st.lists(entries(), max_size=60), cuts=st.lists(st.integers(0, 60), max_size=6))
def test_statements_chain(sequence: list, cuts: list[int]) -> None:
    """Cut one history into consecutive statements: each starts where the last ended."""
    bounds = sorted({0, len(sequence), *(min(cut, len(sequence)) for cut in cuts)})
    previous = 0
    for start, end in itertools.pairwise(bounds):
        totals = totals_of(previous, sequence[start:end])
        assert totals.previous_balance == previous
        previous = totals.new_balance
    assert previous == sum(amount for _, amount, _ in sequence)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.lists(entries(), min_size=0, max_size=6), min_size=2, max_size=4))
def test_runs_over_the_ledger_keep_the_identity_and_chain(db: str, batches: list) -> None:
    # a run states the account exactly when it owes something after the batch; every example
    # checked issues at least two statements, so there is a chain to check
    owed = list(itertools.accumulate(sum(amount for _, amount, _ in batch) for batch in batches))
    assume(sum(balance > 0 for balance in owed) >= 2)
    account, _ = make_account()
    references = itertools.count()
    day = date(2026, 1, 5)
    for batch in batches:
        with write_session() as session:
            for kind, amount, corrects in batch:
                ledger.post(session, account_id=account.id, kind=kind, amount=amount, corrects_kind=corrects,
                            external_ref=f'prop-{account.id}-{next(references)}', effective_date=day)
        run_statements(on=day)
        day += timedelta(days=35)  # the next month, past the 28-day cadence
    with read_session() as session:
        statements = list(session.exec(select(Statement).where(Statement.account_id == account.id)
                                       .order_by(col(Statement.id))))
        assert [statement.new_balance for statement in statements] == [balance for balance in owed if balance > 0]
        previous = None
        for statement in statements:
            assert statement.new_balance == (statement.previous_balance + statement.new_charges + statement.refunds
                                             - statement.insurance_payments - statement.adjustments
                                             - statement.patient_payments)
            assert statement.previous_balance == (previous.new_balance if previous else 0)
            assert statement.first_entry_id == (previous.last_entry_id if previous else 0)
            on_ledger = session.exec(select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.account_id == account.id, LedgerEntry.id <= statement.last_entry_id)).one()
            assert statement.new_balance == on_ledger > 0
            previous = statement
