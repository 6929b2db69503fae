"""One account while it is generated: its ids, ledger entries in the making and what is owed."""
from __future__ import annotations

from dataclasses import dataclass, field

from portal.demo.households import CoverageSpec, Household

# A ledger entry in the making:
# (day, rank, minute, kind, amount, patient_id, charge_id, payment_id, claim_id, carc, memo)
# rank orders one day's entries: charges, insurance, adjustments, then patient payments.
CHARGE, INSURANCE, ADJUSTMENT, PAYMENT = 0, 1, 2, 3


@dataclass(slots=True)
class AccountState:
    household: Household
    account_id: int
    patient_ids: list[int] = field(default_factory=list)
    coverages: list[list[tuple[int, CoverageSpec]]] = field(default_factory=list)  # per person: (id, spec)
    entries: list[tuple] = field(default_factory=list)
    owed: list[tuple[int, int, int, int]] = field(default_factory=list)  # (from day, dos, charge_id, amount)
    charge_ids: list[int] = field(default_factory=list)
    visits: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # dos, patient, provider, location, type
    deductible_met: dict[tuple[int, str], int] = field(default_factory=dict)
    installments: list[tuple[int, int, str]] = field(default_factory=list)  # (due day, amount, status)
    pending_charges: set[int] = field(default_factory=set)  # charges whose claim the insurer has not answered
    allocated: list[tuple[int, int, int]] = field(default_factory=list)  # (day, charge_id, amount) paid on charges
    user_id: int = 0
    card_id: int = 0
