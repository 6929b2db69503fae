"""CSV downloads of staff tables, safe to open in a spreadsheet.

A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is read by Excel, LibreOffice and
Google Sheets as a formula ("CSV injection"); such a cell is written with a leading apostrophe, as OWASP's
CSV Injection guidance recommends (https://owasp.org/www-community/attacks/CSV_Injection). Numbers are
written as numbers (a negative amount stays `-12.50`, not text). Quoting and line endings are the `csv`
module's (RFC 4180). Every staff export of patient data is also audited by the service that builds it.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal

FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
Cell = str | int | float | Decimal | date | datetime | None


def safe_cell(value: Cell) -> str | int | float | Decimal:
    """One cell as written: numbers unchanged, None as '', dates ISO 8601, text that a spreadsheet would
    run as a formula prefixed with an apostrophe."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, int | float | Decimal):  # a number (money as Decimal: '-0.05') is never a formula
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The table as CSV text (RFC 4180, CRLF line ends), header first, every cell through `safe_cell`."""
    return ''.join(csv_chunks(header, rows))


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]], *, size: int = 1000) -> Iterator[str]:
    """The table as CSV text (as `to_csv`) in pieces of `size` rows, taking rows from the iterable only as each
    piece is written, so a long export never holds more than one piece."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in header])
    for number, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(cell) for cell in row])
        if number % size == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
