import csv
import io
from datetime import date

import pytest

from portal.interop.csv_export import safe_cell, to_csv


@pytest.mark.parametrize('text', ['=1+1', '+SUM(A1)', '-2+3', '@cmd', '\tx', '\rx', '=HYPERLINK("http://x")'])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert list(csv.reader(io.StringIO(to_csv(['note'], [[text]]), newline='')))[1] == ["'" + text]


def test_numbers_dates_and_plain_text_are_unchanged() -> None:
    assert safe_cell(-1250) == -1250
    assert safe_cell(12.5) == 12.5
    assert safe_cell(date(2026, 11, 30)) == '2026-11-30'
    assert safe_cell(None) == ''
    assert safe_cell('Sofía Álvarez, "Jr."') == 'Sofía Álvarez, "Jr."'


def test_quotes_commas_and_newlines_round_trip() -> None:
    text = to_csv(['a', 'b'], [['x, "y"', 'two\nlines'], [1, None]])
    assert list(csv.reader(io.StringIO(text))) == [['a', 'b'], ['x, "y"', 'two\nlines'], ['1', '']]
