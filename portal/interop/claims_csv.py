"""Reading claims as the practice's billing system submitted them (`python -m portal import-claims FILE.csv`):
parsing and checking only; `portal.services.claim_import` writes. The same rules as `charges_csv`: the whole
file is checked, any problem refuses it (row, field, reason) and nothing is written.

One row per claim line. Rows sharing a claim number are one claim; its lines are charges imported before
(`import-charges`, by their external id) from one visit. The claim number is what the practice put in
CLP01 of its 837 (the patient control number), which is how an 835 finds the claim again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from portal.interop.charges_csv import ImportRejected, Problem, csv_records
from portal.money import AmountError, parse_amount

COLUMNS_HELP = """\
Columns (UTF-8 CSV with a header row; order does not matter; * = required):
  claim_number*        the claim number as submitted to the payer (CLP01 of the 835 answers with it)
  payer_code*          the payer's code as the portal knows it, e.g. ACME
  submitted_date*      YYYY-MM-DD, not in the future
  charge_external_id*  the external_id of a charge imported with import-charges (one line of the claim)
  billed*              what the claim bills for that line, in dollars, e.g. 155.00
  priority             1 primary (default), 2 secondary, 3 tertiary: which of the patient's coverages
Rows with the same claim_number are one claim; its charges must belong to one visit.
Nothing is imported unless every row is valid; re-importing the same claims changes nothing."""

REQUIRED = ('claim_number', 'payer_code', 'submitted_date', 'charge_external_id', 'billed')
MAX_BILLED = 10_000_000


@dataclass
class ClaimLineRow:
    line: int
    claim_number: str
    payer_code: str
    submitted: date
    charge_external_id: str
    billed: int
    priority: int


@dataclass
class ClaimRows:
    """The rows of one claim, in file order."""
    claim_number: str
    rows: list[ClaimLineRow] = field(default_factory=list)


def _parse(line: int, raw: dict[str, str], today: date) -> tuple[ClaimLineRow | None, list[Problem]]:
    value = {key: (raw.get(key) or '').strip() for key in (*REQUIRED, 'priority')}
    problems = [Problem(line, name, 'is required') for name in REQUIRED if not value[name]]
    if len(value['claim_number']) > 40:
        problems.append(Problem(line, 'claim_number', 'is longer than 40 characters'))
    submitted = None
    if value['submitted_date']:
        try:
            submitted = date.fromisoformat(value['submitted_date'])
        except ValueError:
            problems.append(Problem(line, 'submitted_date', 'is not a date like 2026-03-15'))
        else:
            if submitted > today:
                problems.append(Problem(line, 'submitted_date', 'is in the future'))
    billed = 0
    if value['billed']:
        try:
            billed = parse_amount(value['billed'], maximum=MAX_BILLED)
        except AmountError as error:
            problems.append(Problem(line, 'billed', str(error)))
    priority = 1
    if value['priority']:
        if value['priority'] in ('1', '2', '3'):
            priority = int(value['priority'])
        else:
            problems.append(Problem(line, 'priority', 'must be 1, 2 or 3'))
    if problems:
        return None, problems
    return ClaimLineRow(line, value['claim_number'], value['payer_code'].upper(), submitted,
                        value['charge_external_id'], billed, priority), []


def read_claims(path: str | Path, *, today: date) -> list[ClaimRows]:
    """Every row checked; ImportRejected with every problem found when any row is wrong."""
    problems: list[Problem] = []
    claims: dict[str, ClaimRows] = {}
    seen: dict[str, int] = {}
    for line, raw in csv_records(path, REQUIRED):
        row, found = _parse(line, raw, today)
        problems.extend(found)
        if row is None:
            continue
        if row.charge_external_id in seen:
            problems.append(Problem(row.line, 'charge_external_id', f'repeats row {seen[row.charge_external_id]}'))
        seen[row.charge_external_id] = row.line
        group = claims.setdefault(row.claim_number, ClaimRows(row.claim_number))
        first = group.rows[0] if group.rows else row
        for name in ('payer_code', 'submitted', 'priority'):
            if getattr(row, name) != getattr(first, name):
                problems.append(Problem(row.line, name.replace('submitted', 'submitted_date'),
                                        f'differs from row {first.line} of the same claim'))
        group.rows.append(row)
    if not claims and not problems:
        problems.append(Problem(2, 'file', 'has no rows'))
    if problems:
        raise ImportRejected(problems)
    return list(claims.values())
