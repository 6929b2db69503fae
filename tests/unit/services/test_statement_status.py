"""One statement status and one StatementSummary (statement_status.summary_of) for the home page,
/statements and the pay page: the same row gives the same status and amount everywhere."""
from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

from portal.services import home, statements
from portal.services.statement_status import PlanDue, StatementSummary, summary_of

DUE = date(2026, 6, 2)


def _row(**changes: object) -> SimpleNamespace:
    values: dict[str, object] = dict(id=7, statement_date=date(2026, 5, 12), due_date=DUE, amount_due=12000,
                                     new_balance=15000, currency='USD', paid_at=None, waiting_for_insurance=3000,
                                     paid_since=0)
    return SimpleNamespace(**{**values, **changes})


def _summary(row: SimpleNamespace, *, balance: int = 15000, payable: int = 12000, plan: PlanDue | None = None,
             on: date = DUE) -> StatementSummary:
    return summary_of(row, account_number='A1', balance=balance, payable=payable, plan=plan, on=on)


def test_home_and_the_statements_list_share_one_summary() -> None:
    assert home.StatementSummary is StatementSummary is statements.StatementSummary


def test_due_overdue_and_paid() -> None:
    due = _summary(_row(paid_since=2000))
    assert (due.status, due.amount_due, due.due_date, due.on_plan) == ('due', 10000, DUE, False)
    assert _summary(_row(), on=date(2026, 6, 3)).status == 'overdue'
    assert _summary(_row(), payable=4000).amount_due == 4000  # never more than can be paid now
    paid = _summary(_row(paid_at=datetime(2026, 5, 20)))
    assert (paid.status, paid.amount_due) == ('paid', 12000)  # as issued once paid
    assert _summary(_row(paid_since=12000)).status == 'paid'  # covered by payments since it
    assert _summary(_row(), balance=0).status == 'paid'  # the account owes nothing now


def test_on_a_current_plan_the_installment_is_due_and_nothing_is_overdue() -> None:
    plan = PlanDue(plan_id=1, installment_id=2, amount=2500, due_date=date(2026, 7, 1), current=True)
    summary = _summary(_row(), plan=plan, on=date(2026, 6, 20))
    assert (summary.status, summary.amount_due, summary.due_date, summary.on_plan) == (
        'due', 2500, date(2026, 7, 1), True)
    behind = PlanDue(plan_id=1, installment_id=2, amount=2500, due_date=date(2026, 6, 1), current=False)
    assert _summary(_row(), plan=behind, on=date(2026, 6, 20)).status == 'overdue'
