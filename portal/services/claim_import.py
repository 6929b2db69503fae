"""Importing claims from the practice's billing system: `portal.interop.claims_csv` reads and checks the
file, this writes it in one transaction (all or nothing). A claim is keyed by its claim number: the same
claim again changes nothing; the same number with other figures is a problem, and nothing is written."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path

from sqlmodel import Session, col, select

from portal.db import write_session
from portal.interop.charges_csv import ImportRejected, Problem
from portal.interop.claims_csv import ClaimRows, read_claims
from portal.models import Charge, Claim, ClaimStatus, Coverage, Payer
from portal.services.claim_updates import record_claim_status
from portal.services.practice import load_practice_today


@dataclass(frozen=True)
class ClaimImportSummary:
    claims: int = 0
    created: int = 0
    unchanged: int = 0

    def describe(self) -> str:
        return (f'Imported {self.created:,} claim(s); {self.unchanged:,} already imported (unchanged) of '
                f'{self.claims:,}.')


def import_claims(*, path: str | Path) -> ClaimImportSummary:
    """Check the whole file, then write it in one transaction (all or nothing)."""
    claims = read_claims(path, today=load_practice_today())
    counts: Counter[str] = Counter()
    with write_session() as session:
        payers = {payer.payer_code.upper(): payer.id for payer in session.exec(select(Payer)).all()}
        problems: list[Problem] = []
        for group in claims:
            _import_claim(session, group, payers, counts, problems)
        if problems:
            raise ImportRejected(problems)  # rolls the transaction back: nothing is imported
    return ClaimImportSummary(claims=len(claims), created=counts['created'], unchanged=counts['unchanged'])


def _import_claim(session: Session, group: ClaimRows, payers: dict[str, int], counts: Counter[str],
                  problems: list[Problem]) -> None:
    first = group.rows[0]
    found = len(problems)
    ids = [row.charge_external_id for row in group.rows]
    charges = {charge.external_id: charge for charge in session.exec(
        select(Charge).where(col(Charge.external_id).in_(ids))).all()}
    for row in group.rows:
        if row.charge_external_id not in charges:
            problems.append(Problem(row.line, 'charge_external_id', f'no charge {row.charge_external_id!r} '
                                                                    f'(import it with import-charges first)'))
    encounters = {charge.encounter_id for charge in charges.values()}
    if len(encounters) > 1:
        problems.append(Problem(first.line, 'charge_external_id', 'the claim\'s charges are from more than one visit'))
    payer_id = payers.get(first.payer_code)
    if payer_id is None:
        problems.append(Problem(first.line, 'payer_code', f'no payer {first.payer_code!r}'))
    if len(problems) > found:
        return
    charge = charges[first.charge_external_id]
    coverage = session.exec(select(Coverage).where(Coverage.patient_id == charge.patient_id,
                                                   Coverage.payer_id == payer_id,
                                                   Coverage.priority == first.priority)).first()
    if coverage is None:
        problems.append(Problem(first.line, 'payer_code', f'the patient has no coverage with {first.payer_code} '
                                                          f'as priority {first.priority}'))
        return
    billed = sum(row.billed for row in group.rows)
    existing = session.exec(select(Claim).where(Claim.claim_number == group.claim_number)).first()
    if existing is not None:
        if (existing.encounter_id, existing.coverage_id, existing.billed_amount) != \
                (charge.encounter_id, coverage.id, billed):
            problems.append(Problem(first.line, 'claim_number', 'was imported before with other figures'))
        else:
            counts['unchanged'] += 1
        return
    submitted = datetime.combine(first.submitted, time(12), tzinfo=UTC)
    claim = Claim(account_id=charge.account_id, patient_id=charge.patient_id, encounter_id=charge.encounter_id,
                  coverage_id=coverage.id, claim_number=group.claim_number, status=ClaimStatus.submitted,
                  billed_amount=billed, submitted_at=submitted)
    session.add(claim)
    session.flush()
    record_claim_status(session, claim_id=claim.id, status=ClaimStatus.submitted, at=submitted)
    counts['created'] += 1
