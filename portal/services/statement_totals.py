"""A statement's arithmetic: the line each ledger kind falls into and the totals that make the statement
identity hold (previous balance + new charges + refunds - insurance payments - adjustments - patient
payments = new balance; new balance - waiting for insurance = amount due)."""
from __future__ import annotations

from dataclasses import dataclass

from portal.models import LedgerKind

# The statement line each ledger kind falls into; a correction falls into the line of the kind it corrects.
LINE_OF_KIND = {
    LedgerKind.charge: 'new_charges', LedgerKind.refund: 'refunds',
    LedgerKind.insurance_payment: 'insurance_payments', LedgerKind.contractual_adjustment: 'adjustments',
    LedgerKind.write_off: 'adjustments', LedgerKind.patient_payment: 'patient_payments',
}
REDUCING_LINES = frozenset({'insurance_payments', 'adjustments', 'patient_payments'})  # shown as positive amounts


def line_of(kind: str, corrects_kind: str | None = None) -> str:
    if kind == LedgerKind.correction:
        return LINE_OF_KIND.get(corrects_kind or '', 'adjustments')  # type: ignore[call-overload]
    return LINE_OF_KIND[kind]  # type: ignore[index]


@dataclass(frozen=True)
class Totals:
    """A statement's arithmetic: previous balance + new charges + refunds - insurance payments
    - adjustments and write-offs - patient payments = new balance (DESIGN's statement identity); then
    new balance - waiting for insurance = amount due (Statement.waiting_for_insurance, amount_due), or
    the next installment for an account on a plan."""
    previous_balance: int
    new_charges: int = 0
    refunds: int = 0
    insurance_payments: int = 0
    adjustments: int = 0
    patient_payments: int = 0

    @property
    def new_balance(self) -> int:
        return (self.previous_balance + self.new_charges + self.refunds - self.insurance_payments
                - self.adjustments - self.patient_payments)

    @classmethod
    def from_lines(cls, previous_balance: int, signed_by_line: dict[str, int]) -> Totals:
        """From signed ledger sums per statement line (reducing lines flip to positive amounts)."""
        shown = {line: -amount if line in REDUCING_LINES else amount for line, amount in signed_by_line.items()}
        return cls(previous_balance=previous_balance, **shown)


def totals_of(previous_balance: int, entries: list[tuple[str, int, str | None]]) -> Totals:
    """Totals for ledger entries given as (kind, signed amount, corrects_kind)."""
    by_line: dict[str, int] = {}
    for kind, amount, corrects_kind in entries:
        line = line_of(kind, corrects_kind)
        by_line[line] = by_line.get(line, 0) + amount
    return Totals.from_lines(previous_balance, by_line)
