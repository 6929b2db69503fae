"""import-claims: claims from the practice's billing system, all or nothing, keyed by claim number; an 835
for such a claim then finds it by that number and the payer."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import func, select

from portal.db import read_session, write_session
from portal.interop.charges_csv import ImportRejected
from portal.models import Claim, ClaimStatus, Coverage, Location, Patient, Payer, Provider
from portal.services.charge_import import import_charges
from portal.services.claim_import import import_claims
from portal.services.remittance_import import import_835
from tests.factories import make_account
from tests.support.remits import file_of, payment, remit
from tests.support.remits import lab_line as _lab

CHARGES = ('external_id,account_number,patient_mrn,date_of_service,code,amount,provider_npi,location,units\n'
           'EXT-1,A55500011,M900001,2026-02-03,99213,155.00,1234567893,Main Street Clinic,1\n'
           'EXT-2,A55500011,M900001,2026-02-03,36415,22.00,1234567893,Main Street Clinic,1\n'
           'EXT-3,A55500011,M900001,2026-02-10,36415,22.00,1234567893,Main Street Clinic,1\n')
HEADER = 'claim_number,payer_code,submitted_date,charge_external_id,billed\n'


@pytest.fixture
def charges(db: str, tmp_path: Path) -> Path:
    make_account(account_number='A55500011', patients=[{'first_name': 'Ana', 'mrn': 'M900001'}])
    with write_session() as session:
        payer = Payer(name='Acme Health', payer_code='ACME')
        session.add_all([Provider(npi='1234567893', first_name='Alicia', last_name='Moreno'),
                         Location(name='Main Street Clinic'), payer])
        session.flush()
        patient = session.exec(select(Patient).where(Patient.mrn == 'M900001')).one()
        session.add(Coverage(patient_id=patient.id, payer_id=payer.id, member_id='ACM1', subscriber_name='Ana'))
    path = tmp_path / 'charges.csv'
    path.write_text(CHARGES, encoding='utf-8')
    import_charges(path=path)
    return tmp_path


def _claims(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / 'claims.csv'
    path.write_text(HEADER + rows, encoding='utf-8')
    return path


def test_claims_are_imported_once_and_an_835_then_finds_them(charges: Path) -> None:
    path = _claims(charges, 'PM-77,acme,2026-02-04,EXT-1,155.00\nPM-77,ACME,2026-02-04,EXT-2,22.00\n')
    assert (import_claims(path=path).created, import_claims(path=path).unchanged) == (1, 1)
    with read_session() as session:
        claim = session.exec(select(Claim)).one()
        assert (claim.claim_number, claim.billed_amount, claim.status, claim.submitted_at.date()) == \
            ('PM-77', 17700, ClaimStatus.submitted, date(2026, 2, 4))
    line = _lab(2200)
    line.control_number = 'EXT-2'
    with write_session() as session:
        report = import_835(session, actor=None, data=file_of(remit(payment('PM-77', lines=[line]))))
    assert report.payments[0].matched == 1


def test_a_bad_claims_file_is_refused_whole(charges: Path) -> None:
    path = _claims(charges, 'PM-77,ACME,2026-02-04,EXT-1,155.00\n'
                            'PM-78,NOPE,2030-01-01,EXT-9,"4,60"\n'
                            'PM-79,ACME,2026-02-04,EXT-2,22.00\nPM-79,ACME,2026-02-04,EXT-3,22.00\n')
    with pytest.raises(ImportRejected) as rejected:
        import_claims(path=path)
    problems = {(problem.row, problem.field) for problem in rejected.value.problems}
    assert {(3, 'submitted_date'), (3, 'billed')} <= problems
    with pytest.raises(ImportRejected) as rejected:
        import_claims(path=_claims(charges, 'PM-78,NOPE,2026-02-04,EXT-9,4.60\n'
                                       'PM-79,ACME,2026-02-04,EXT-2,22.00\nPM-79,ACME,2026-02-04,EXT-3,22.00\n'))
    assert {(p.row, p.field) for p in rejected.value.problems} == {(2, 'charge_external_id'), (2, 'payer_code'),
                                                                   (3, 'charge_external_id')}
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(Claim)).one() == 0
