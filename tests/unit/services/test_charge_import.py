"""import-charges: a good file is imported, a bad one is refused whole with a report naming row,
field and reason, and importing the same file again changes nothing."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.interop.charges_csv import ImportRejected
from portal.models import Charge, Encounter, LedgerEntry, Location, Provider
from portal.services.charge_import import import_charges
from tests.factories import make_account

HEADER = 'external_id,account_number,patient_mrn,date_of_service,code,amount,provider_npi,location,description,units\n'


@pytest.fixture
def practice(db: str) -> dict[str, str]:
    account, patients = make_account(account_number='A55500011', patients=[
        {'first_name': 'Ana', 'mrn': 'M900001', 'date_of_birth': date(1980, 1, 2)},
        {'first_name': 'Luis', 'mrn': 'M900002', 'date_of_birth': date(2012, 4, 5)}])
    make_account(account_number='A55500022', patients=[{'first_name': 'Zoe', 'mrn': 'M900003'}])
    with write_session() as session:
        session.add_all([Provider(npi='1234567893', first_name='Alicia', last_name='Moreno'),
                         Location(name='Main Street Clinic')])
    return {'account': account.account_number}


def _write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / 'charges.csv'
    path.write_text(HEADER + rows, encoding='utf-8')
    return path


GOOD = ('EXT-1,A55500011,M900001,2026-02-03,99213,155.00,1234567893,Main Street Clinic,,1\n'
        'EXT-2,A55500011,M900001,2026-02-03,36415,22.00,1234567893,Main Street Clinic,Blood draw,\n'
        'EXT-3,A55500011,M900002,2026-02-10,G0008,35,1234567893,main street clinic,Flu shot given,1\n')


def _counts() -> tuple[int, int, int]:
    with read_session() as session:
        return (session.exec(select(func.count()).select_from(Charge)).one(),
                session.exec(select(func.count()).select_from(Encounter)).one(),
                session.exec(select(func.count()).select_from(LedgerEntry)).one())


def test_a_good_file_is_imported_and_a_reimport_changes_nothing(practice: dict, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    summary = import_charges(path=path)
    assert (summary.created, summary.visits_created, summary.unchanged) == (3, 2, 0)
    assert _counts() == (3, 2, 3)
    with read_session() as session:
        charge = session.exec(select(Charge).where(Charge.external_id == 'EXT-1')).one()
        entry = session.exec(select(LedgerEntry).where(LedgerEntry.charge_id == charge.id)).one()
    assert (charge.amount, charge.description, entry.kind, entry.amount, entry.external_ref) == \
        (15500, 'Office visit, established patient, 20-29 minutes', 'charge', 15500, 'charge:EXT-1')
    again = import_charges(path=path)
    assert (again.created, again.unchanged) == (0, 3)
    assert _counts() == (3, 2, 3)


def test_a_bad_file_is_refused_whole_with_row_field_and_reason(practice: dict, tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD + (
        'EXT-4,A99999999,M900001,2026-02-03,99213,155.00,1234567893,Main Street Clinic,,1\n'
        'EXT-5,A55500011,M900003,2030-01-01,ABC,-5,1234567893,Nowhere,,0\n'
        'EXT-1,A55500011,M900001,2026-02-03,99213,155.00,1234567893,Main Street Clinic,,1\n'))
    with pytest.raises(ImportRejected) as rejected:
        import_charges(path=path)
    problems = {(problem.row, problem.field) for problem in rejected.value.problems}
    assert {(5, 'account_number'), (6, 'patient_mrn'), (6, 'date_of_service'), (6, 'code'), (6, 'amount'),
            (6, 'location'), (6, 'units'), (7, 'external_id')} <= problems
    assert 'row 5, account_number: no account' in str(rejected.value.problems[0])
    assert _counts() == (0, 0, 0)  # nothing at all, not even the good rows


def test_the_same_id_with_other_figures_is_refused(practice: dict, tmp_path: Path) -> None:
    import_charges(path=_write(tmp_path, GOOD))
    changed = GOOD.replace('99213,155.00', '99213,165.00')
    with pytest.raises(ImportRejected) as rejected:
        import_charges(path=_write(tmp_path, changed + 'EXT-9,A55500011,M900001,2026-02-04,99213,10,1234567893,'
                                                  'Main Street Clinic,,\n'))
    assert [(problem.row, problem.field) for problem in rejected.value.problems] == [(2, 'external_id')]
    assert _counts() == (3, 2, 3)  # EXT-9 was not written either


def test_missing_columns_are_reported(practice: dict, tmp_path: Path) -> None:
    path = tmp_path / 'charges.csv'
    path.write_text('external_id,amount\nX,1.00\n', encoding='utf-8')
    with pytest.raises(ImportRejected) as rejected:
        import_charges(path=path)
    assert {problem.field for problem in rejected.value.problems} >= {'account_number', 'code'}
