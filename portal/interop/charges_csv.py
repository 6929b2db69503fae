"""Reading a practice-management export of charges (`python -m portal import-charges FILE.csv`): parsing
and checking only; `portal.services.charge_import` writes.

The whole file is checked first; any problem rejects it with a report naming the row, the field
and the reason, and nothing is written. A good file is written in one transaction. Each charge
carries the file's external id (and its ledger entry the reference charge:<external id>), so
importing the same file again changes nothing; the same id with other figures is a problem.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from portal.money import AmountError, parse_amount
from portal.reference.codes import procedures

COLUMNS_HELP = """\
Columns (UTF-8 CSV with a header row; order does not matter; * = required):
  external_id*      the charge's id in your practice system (unique; a re-import skips it)
  account_number*   the guarantor account number, e.g. A10002026
  patient_mrn*      the patient's medical record number (a patient on that account)
  date_of_service*  YYYY-MM-DD, not in the future
  code*             CPT (5 digits, e.g. 99213) or HCPCS (a letter and 4 digits, e.g. G0008)
  amount*           billed amount for all units in dollars, e.g. 155.00 (more than 0)
  provider_npi*     the rendering provider's 10-digit NPI (a provider known to the portal)
  location*         the location's name as the portal knows it
  description       plain-language description (default: the portal's text for the code)
  units             whole number, 1 or more (default 1)
  modifier          CPT modifier, up to 2 letters or digits (optional)
  visit_id          your visit/encounter id: lines with the same id are one visit
                    (default: one visit per account, patient, date, provider and location)
Nothing is imported unless every row is valid; the report names each row, field and reason."""

REQUIRED = ('external_id', 'account_number', 'patient_mrn', 'date_of_service', 'code', 'amount', 'provider_npi',
            'location')
OPTIONAL = ('description', 'units', 'modifier', 'visit_id')
CODE = re.compile(r'^(\d{4}[0-9A-Z]|[A-Z]\d{4})$')
MAX_AMOUNT = 10_000_000  # $100,000.00 a line


@dataclass(frozen=True)
class Problem:
    row: int  # the line in the file (the header is line 1)
    field: str
    reason: str

    def __str__(self) -> str:
        return f'row {self.row}, {self.field}: {self.reason}'


class ImportRejected(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f'{len(problems)} problem(s)')
        self.problems = problems


@dataclass
class ChargeRow:
    line: int
    external_id: str
    account_id: int
    patient_id: int
    date_of_service: date
    code: str
    amount: int
    provider_id: int
    location_id: int
    description: str
    units: int
    modifier: str
    visit_key: str
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Lookups:
    """What the file's keys refer to, read from the database by the caller."""
    accounts: dict[str, int]
    patients: dict[str, tuple[int, int]]  # mrn -> (patient id, account id)
    providers: dict[str, int]
    locations: dict[str, int]


def _parse(line: int, raw: dict[str, str], lookups: Lookups, today: date) -> tuple[ChargeRow | None, list[Problem]]:
    value = {key: (raw.get(key) or '').strip() for key in REQUIRED + OPTIONAL}
    problems = [Problem(line, name, 'is required') for name in REQUIRED if not value[name]]

    def check(name: str, ok: bool, reason: str) -> None:
        if value[name] and not ok:
            problems.append(Problem(line, name, reason))

    check('external_id', len(value['external_id']) <= 64, 'is longer than 64 characters')
    account_id = lookups.accounts.get(value['account_number'])
    check('account_number', account_id is not None, f'no account {value["account_number"]!r}')
    patient = lookups.patients.get(value['patient_mrn'])
    check('patient_mrn', patient is not None, f'no patient with MRN {value["patient_mrn"]!r}')
    if patient and account_id is not None and patient[1] != account_id:
        problems.append(Problem(line, 'patient_mrn', 'the patient is not on that account'))
    service_date = None
    try:
        service_date = date.fromisoformat(value['date_of_service']) if value['date_of_service'] else None
    except ValueError:
        problems.append(Problem(line, 'date_of_service', 'is not a date like 2026-03-15'))
    check('date_of_service', service_date is None or service_date <= today, 'is in the future')
    code = value['code'].upper()
    check('code', bool(CODE.match(code)), 'is not a CPT or HCPCS code (like 99213 or G0008)')
    amount = 0
    if value['amount']:
        try:
            amount = parse_amount(value['amount'], maximum=MAX_AMOUNT)
        except AmountError as error:
            problems.append(Problem(line, 'amount', str(error)))
    provider_id = lookups.providers.get(value['provider_npi'])
    check('provider_npi', provider_id is not None, f'no provider with NPI {value["provider_npi"]!r}')
    location_id = lookups.locations.get(value['location'].casefold())
    check('location', location_id is not None, f'no location named {value["location"]!r}')
    units = 1
    if value['units']:
        units = int(value['units']) if value['units'].isdigit() else 0
        check('units', units >= 1, 'must be a whole number, 1 or more')
    check('modifier', bool(re.fullmatch(r'[0-9A-Za-z]{1,2}', value['modifier'])), 'must be 1 or 2 letters or digits')
    description = value['description'] or (procedures()[code].description if code in procedures() else '')
    if not description and CODE.match(code):
        problems.append(Problem(line, 'description', f'is required for code {code}, which the portal does not know'))
    check('description', len(description) <= 200, 'is longer than 200 characters')
    if problems:
        return None, problems
    visit_key = value['visit_id'] or (f'{value["account_number"]}:{value["patient_mrn"]}:{service_date}:'
                                      f'{value["provider_npi"]}:{location_id}')
    return ChargeRow(line, value['external_id'], account_id, patient[0], service_date, code, amount, provider_id,
                location_id, description, units, value['modifier'].upper(), f'csv:{visit_key}'[:64]), []


def csv_records(path: str | Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, row) of a UTF-8 CSV file with a header row; ImportRejected when the file cannot be read, lacks
    a required column or is not UTF-8 CSV. Shared by the practice-system imports (charges, claims)."""
    try:
        handle = Path(path).open(encoding='utf-8-sig', newline='')
    except OSError as error:
        raise ImportRejected([Problem(0, 'file', f'cannot be read ({error.strerror})')]) from None
    with handle:
        reader = csv.DictReader(handle)
        try:
            missing = [name for name in required if name not in (reader.fieldnames or [])]
            if missing:
                raise ImportRejected([Problem(1, name, 'column is missing from the header') for name in missing])
            for raw in reader:
                yield reader.line_num, raw
        except (UnicodeDecodeError, csv.Error) as error:
            raise ImportRejected([Problem(reader.line_num + 1, 'file', f'is not UTF-8 CSV ({error})')]) from None


def read_rows(path: str | Path, lookups: Lookups, *, today: date) -> list[ChargeRow]:
    """Every row checked; ImportRejected with every problem found when any row is wrong."""
    problems: list[Problem] = []
    rows: list[ChargeRow] = []
    seen: dict[str, int] = {}
    for line, raw in csv_records(path, REQUIRED):
        row, found = _parse(line, raw, lookups, today)
        problems.extend(found)
        if row is None:
            continue
        if row.external_id in seen:
            problems.append(Problem(line, 'external_id', f'repeats row {seen[row.external_id]}'))
        seen[row.external_id] = line
        rows.append(row)
    if not rows and not problems:
        problems.append(Problem(2, 'file', 'has no rows'))
    if problems:
        raise ImportRejected(problems)
    return rows
