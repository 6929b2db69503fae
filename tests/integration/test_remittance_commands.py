"""`python -m portal import-835 FILE...`: a fatal file is refused with line and reason, exit 2, nothing
posted; a file with warnings and unmatched claims is posted, exit 0, and the report lists them."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.integration.test_commands import ROOT, run

FILES = ROOT / 'tests' / 'data' / '835'


def _remittances(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / 'portal.db') as connection:
        return connection.execute('SELECT count(*) FROM remittance').fetchone()[0]


def test_refused_files_exit_2_with_line_and_reason_and_post_nothing(tmp_path: Path) -> None:
    huge = tmp_path / 'huge.835'
    with huge.open('wb') as handle:
        handle.truncate(50 * 1024 * 1024)
    result = run(['-m', 'portal', 'import-835', str(FILES / 'unbalanced.835'), str(FILES / 'claim_837.835'),
                  str(huge)], tmp_path, PYTHONPATH=str(ROOT))
    assert result.returncode == 2
    assert 'line 4, BPR BPR02: the payment total 999.00 does not equal' in result.stderr
    assert 'line 2, GS GS01:' in result.stderr and 'larger than 10 MB' in result.stderr
    assert 'Traceback' not in result.stderr
    assert _remittances(tmp_path) == 0


def test_warnings_and_unmatched_claims_are_listed_and_exit_0(tmp_path: Path) -> None:
    result = run(['-m', 'portal', 'import-835', str(FILES / 'guide_style_warnings.835')], tmp_path,
                 PYTHONPATH=str(ROOT))
    assert result.returncode == 0, result.stderr
    assert 'Imported payment CHK-12345 from ACME HEALTH: 150.00, 0 of 1 claim(s) matched, 1 unmatched.' in result.stdout
    assert 'Unmatched: claim PM-1001 (line 12): no such claim' in result.stdout
    assert 'Warning: line 4, BPR BPR16:' in result.stdout
    again = run(['-m', 'portal', 'import-835', str(FILES / 'guide_style_warnings.835')], tmp_path,
                PYTHONPATH=str(ROOT))
    assert 'Already imported payment CHK-12345' in again.stdout and _remittances(tmp_path) == 1


def test_import_claims_refuses_a_bad_file_with_row_field_and_reason(tmp_path: Path) -> None:
    claims = tmp_path / 'claims.csv'
    claims.write_text('claim_number,payer_code,submitted_date,charge_external_id,billed\n'
                      'PM-1,ACME,2026-02-04,EXT-404,155.00\n', encoding='utf-8')
    result = run(['-m', 'portal', 'import-claims', str(claims)], tmp_path, PYTHONPATH=str(ROOT))
    assert result.returncode == 2
    assert "row 2, charge_external_id: no charge 'EXT-404'" in result.stderr
    assert 'Traceback' not in result.stderr
