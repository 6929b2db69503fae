"""Reading 835s (005010X221A1): what is read, what is a warning (pyx12's findings among them), and the
fatal cases that refuse the file with a line and a reason."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest

from portal.interop import x12_835_pyx12
from portal.interop.x12_835 import MAX_BYTES, read_835

FILES = Path(__file__).parents[2] / 'data' / '835'


def _file(name: str) -> bytes:
    return (FILES / name).read_bytes()


def test_a_guide_style_file_is_read_with_pyx12_findings_as_warnings() -> None:
    read = read_835(_file('guide_style_warnings.835'))
    assert read.fatal == []
    found = {(f.line, f.segment, f.element, f.source) for f in read.warnings}
    assert (4, 'BPR', 'BPR16', 'pyx12') in found  # the invalid date the guide's own example carries
    assert any(f.line == 10 and 'PER' in f.message for f in read.warnings)  # no payer technical contact
    [remittance] = read.remittances
    assert (remittance.trace_number, remittance.amount, remittance.payer_name, remittance.payer_ids,
            remittance.payee_id) == ('CHK-12345', 15000, 'ACME HEALTH', ['ACME'], '1234567893')
    [claim] = remittance.claims
    assert (claim.claim_number, claim.status, claim.billed, claim.paid, claim.patient_responsibility,
            claim.payer_claim_number, claim.patient_name, claim.remarks) == \
        ('PM-1001', '1', 22200, 15000, 5000, 'ICN-77', 'Ana Doe', ['MA01'])
    office, lab = claim.lines
    assert (office.code, office.modifiers, office.control_number, office.allowed, office.remarks,
            str(office.service_date)) == ('99213', ('25',), 'OV-PM-1001', 18000, ['N130'], '2026-02-03')
    assert [(a.group, a.reason, a.amount, a.quantity) for a in office.adjustments] == \
        [('CO', '45', 2000, ''), ('PR', '1', 3000, '1'), ('PR', '2', 2000, '')]
    assert (lab.code, lab.modifiers, lab.paid) == ('36415', (), 2000)


def test_six_reasons_in_one_cas_are_all_read() -> None:
    text = _file('guide_style_warnings.835').decode().replace(
        'CAS*CO*45*20~', 'CAS*CO*45*2*1*A1*3**B1*4**B2*5**B3*6**B4*0~')
    read = read_835(text.encode(), validate=False)
    office = read.remittances[0].claims[0].lines[0]
    assert [a.reason for a in office.adjustments if a.group == 'CO'] == ['45', 'A1', 'B1', 'B2', 'B3', 'B4']


def test_pyx12_failing_keeps_its_findings_and_logs_no_error(monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    real = x12_835_pyx12.pyx12.x12n_document.x12n_document

    def report_fails(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        real(*args, **kwargs)
        raise RuntimeError('Cannot create AK2')

    monkeypatch.setattr(x12_835_pyx12.pyx12.x12n_document, 'x12n_document', report_fails)
    read = read_835(_file('guide_style_warnings.835'))
    assert any(f.element == 'BPR16' for f in read.warnings)
    assert any('pyx12 stopped' in f.message and 'Cannot create AK2' in f.message for f in read.warnings)
    assert read.remittances and not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _fatal(data: bytes) -> tuple[int, str, str, str]:
    read = read_835(data)
    assert read.remittances == []
    [finding] = read.fatal
    return finding.line, finding.segment, finding.element, finding.message


GOOD = _file('guide_style_warnings.835').decode()


@pytest.mark.parametrize(('data', 'line', 'element', 'says'), [
    (b'', 1, '', 'empty'),
    (b'Name,Amount\nAna,12.00\n', 1, '', 'not an X12 file'),
    (_file('claim_837.835'), 2, 'GS01', 'an 837'),
    (_file('claim_837.835').replace(b'GS*HC', b'GS*HP').replace(b'X222A1', b'X221A1'), 3, 'ST01', 'an 837'),
    (_file('version_4010.835'), 1, 'ISA12', '005010X221A1'),
    (GOOD.replace('905*X*005010X221A1', '905*X*004010X091A1')
     .encode(), 2, 'GS08', '005010X221A1'),
    (_file('unbalanced.835'), 4, 'BPR02', 'does not equal the claim payments 150.00 less provider-level'),
    (GOOD.replace('SE*25*1234', 'SE*24*1234').encode(), 27, 'SE01', 'says 24 segments; the transaction has 25'),
    (GOOD.replace('SE*25*1234', 'SE*25*9999').encode(), 27, 'SE02', 'does not match ST02 1234'),
    (GOOD.replace('GE*1*905', 'GE*1*906').encode(), 28, 'GE02', 'does not match GS06 905'),
    (GOOD.replace('GE*1*905', 'GE*2*905').encode(), 28, 'GE01', 'says 2 transaction sets'),
    (GOOD.replace('IEA*1*000000905', 'IEA*1*000000906').encode(), 29, 'IEA02', 'does not match ISA13'),
    (GOOD.split('SVC*HC:36415')[0].encode(), 22, '', 'truncated'),
    (GOOD.replace('NM1*QC*1*DOE', 'NM1*QC*1*D\x07OE').encode(), 13, '', 'control character'),
    (GOOD.replace('SVC*HC:36415*22*20', 'SVC*HC:36415*22*1E+30').encode(), 23, 'SVC03', 'not an amount'),
    (GOOD.replace('SVC*HC:36415*22*20', 'SVC*HC:36415*22*20**NaN').encode(), 23, 'SVC05', 'not a number of units'),
    (GOOD.replace('SVC*HC:36415*22*20', 'SVC*HC:36415*22*20**1E+999').encode(), 23, 'SVC05', 'not a number of'),
])
def test_fatal_cases_are_refused_with_line_and_reason(data: bytes, line: int, element: str, says: str) -> None:
    found_line, _, found_element, message = _fatal(data)
    assert (found_line, found_element) == (line, element)
    assert says in message


def test_an_oversize_file_is_refused_before_it_is_read() -> None:
    line, _, _, message = _fatal(b'ISA' + b' ' * MAX_BYTES)
    assert 'larger than 10 MB' in message and line == 0


def test_a_line_that_does_not_balance_is_a_warning() -> None:
    read = read_835(GOOD.replace('SVC*HC:36415*22*20', 'SVC*HC:36415*25*20')
                    .replace('CLP*PM-1001*1*222', 'CLP*PM-1001*1*225').encode(), validate=False)
    assert read.fatal == [] and read.remittances
    assert {(f.segment, f.element) for f in read.warnings} == {('SVC', 'SVC02'), ('CLP', 'CLP03')}


def test_a_payer_named_twice_is_a_warning_and_the_first_is_kept() -> None:
    text = GOOD.replace('N4*CHICAGO*IL*60601~', 'N4*CHICAGO*IL*60601~\nN1*PR*OTHER PAYER~').replace('SE*25*', 'SE*26*')
    read = read_835(text.encode())
    assert read.fatal == [] and read.remittances[0].payer_name == 'ACME HEALTH'
    assert any(f.line == 10 and f.element == 'N102' and 'a second payer' in f.message for f in read.warnings)
