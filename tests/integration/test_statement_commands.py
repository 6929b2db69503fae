"""`python -m portal statement-run` and `import-charges`: exit codes, the progress bar, the report."""
from __future__ import annotations

from pathlib import Path

from tests.integration.test_commands import ROOT, run


def test_statement_run_then_import_charges(tmp_path: Path) -> None:
    seeded = run(['-m', 'portal', 'seed', '--patients', '30', '--seed', '5'], tmp_path, PYTHONPATH=str(ROOT))
    assert seeded.returncode == 0, seeded.stderr
    first = run(['-m', 'portal', 'statement-run'], tmp_path, PYTHONPATH=str(ROOT))
    assert first.returncode == 0, first.stderr
    assert 'statements issued' in first.stdout and 'Statements [' in first.stderr
    again = run(['-m', 'portal', 'statement-run'], tmp_path, PYTHONPATH=str(ROOT))
    assert ': 0 statements issued' in again.stdout

    helped = run(['-m', 'portal', 'import-charges', '--help'], tmp_path, PYTHONPATH=str(ROOT))
    assert 'external_id*' in helped.stdout and 'date_of_service*' in helped.stdout
    bad = tmp_path / 'bad.csv'
    bad.write_text('external_id,account_number,patient_mrn,date_of_service,code,amount,provider_npi,location\n'
                   'X1,A00000000,M1,2026-13-01,99213,abc,1,Nowhere\n', encoding='utf-8')
    refused = run(['-m', 'portal', 'import-charges', str(bad)], tmp_path, PYTHONPATH=str(ROOT))
    assert refused.returncode == 2
    assert 'Nothing was imported' in refused.stderr and 'row 2, account_number:' in refused.stderr
    assert 'row 2, date_of_service: is not a date' in refused.stderr and 'Traceback' not in refused.stderr
