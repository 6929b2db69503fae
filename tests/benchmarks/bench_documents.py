"""Render times of the documents: a one-page statement, a 30-line statement and a receipt.

    .venv/bin/python tests/benchmarks/bench_documents.py [--renders 50]

The statements are built from the reference data (services with insurance payments, contractual
adjustments and the patient's share explained, as the demo household's are), so no database is
needed. Fonts are parsed first, as the portal does at start-up; each document is rendered once to
warm up, then `--renders` times: median and best wall time, and the median CPU time of the rendering
thread (which other work on a shared machine inflates much less than wall time). Targets: one page under
50 ms (median), 30 lines under 150 ms.
"""
from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pypdf  # noqa: E402

from portal.documents.pdf import prepare_fonts  # noqa: E402
from portal.documents.receipt_pdf import render_receipt  # noqa: E402
from portal.documents.statement_pdf import render_statement  # noqa: E402
from portal.services.payments.receipts import ReceiptLine, ReceiptView  # noqa: E402
from portal.services.practice import Practice  # noqa: E402
from portal.services.statement_run import Totals  # noqa: E402
from portal.services.statements import (  # noqa: E402
    Adjustment,
    ChargeLine,
    Credit,
    StatementDetail,
    StatementSummary,
    Visit,
)

PRACTICE = Practice('Riverside Family Medicine', '(555) 010-4400', '1200 S Main St, Springfield, IL 62704',
                    ('1200 S Main St', 'Springfield, IL 62704'), '37-1234567', '1928374655')


def _services() -> list[tuple[str, str, int]]:
    with (ROOT / 'portal' / 'reference' / 'procedures.csv').open(encoding='utf-8') as handle:
        return [(row['code'], row['description'], int(row['amount'])) for row in csv.DictReader(handle)]


def statement(lines: int) -> StatementDetail:
    services, visits, charges = _services(), [], 0
    for number in range(lines):
        code, description, amount = services[number * 7 % len(services)]
        paid, adjusted = amount * 45 // 100, amount * 35 // 100
        owes = amount - paid - adjusted
        line = ChargeLine(charge_id=number, code=code, description=description, units=1, billed=amount,
                          insurance_paid=paid, adjustments=[Adjustment('CO-45', 'Charge exceeds the contracted fee: '
                                                                       'you do not owe this.', adjusted)],
                          patient_owes=owes, your_share=[Adjustment('PR-2', 'Your coinsurance: your share of the '
                                                                    'cost after the deductible.', owes)])
        if number % 3 == 0:
            visits.append(Visit(date(2026, 3, 2) + timedelta(days=number), 'Sofía Alvarez', 'Alicia Moreno, MD',
                                'Main Street Clinic', []))
        visits[-1].lines.append(line)
        charges += owes
    summary = StatementSummary(id=1, account_number='A10002026', statement_date=date(2026, 5, 12),
                               due_date=date(2026, 6, 2), amount_due=charges, new_balance=charges, currency='USD',
                               status='due')
    return StatementDetail(summary=summary, account_id=1, guarantor_name='Maria Alvarez',
                           guarantor_address=['418 Maple Ave', 'Springfield, IL 62704'],
                           totals=Totals(0, charges, 0, 0, 0, 0), quick_pay_code='G6R6E6DTFWZ9',
                           previous_statement_date=None, visits=visits,
                           credits=[Credit(date(2026, 4, 2), 'Payment — thank you', -2500)] if lines > 2 else [],
                           practice=PRACTICE)


def receipt(lines: int) -> ReceiptView:
    rows = [ReceiptLine(date(2026, 3, 2), 'Sofía Alvarez', 'Alicia Moreno, MD', description, code, amount)
            for code, description, amount in _services()[:lines]]
    return ReceiptView(payment_id=1, receipt_number='R260512-00A1B2C3D4', paid_on=date(2026, 5, 12),
                       amount=sum(row.amount for row in rows), currency='USD', method='Visa ending 4242',
                       status='succeeded', account_number='A10002026', payer='Maria Alvarez', practice=PRACTICE,
                       refunded=0, lines=rows)


def _time(render, renders: int) -> tuple[float, float, float, int, int]:  # noqa: ANN001
    """Median and best wall time, median CPU time of this thread (what other work on the machine
    does not inflate; milliseconds), the page count and the file's size (bytes)."""
    pdf = render()
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    timings, cpu = [], []
    for _ in range(renders):
        started, started_cpu = time.perf_counter(), time.thread_time()
        render()
        timings.append(time.perf_counter() - started)
        cpu.append(time.thread_time() - started_cpu)
    return statistics.median(timings) * 1000, min(timings) * 1000, statistics.median(cpu) * 1000, pages, len(pdf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--renders', type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    prepare_fonts()
    print(f'fonts parsed in {(time.perf_counter() - started) * 1000:.0f} ms')
    pay_url = 'https://portal.example.com/pay?code=G6R6E6DTFWZ9'
    cases = (('statement, 2 lines (one page)', lambda: render_statement(statement(2), pay_url=pay_url), 50),
             ('statement, 30 lines', lambda: render_statement(statement(30), pay_url=pay_url), 150),
             ('receipt, 3 services', lambda: render_receipt(receipt(3)), None))
    for label, render, target in cases:
        median, best, cpu, pages, size = _time(render, args.renders)
        verdict = '' if target is None else f'  target < {target} ms: {"met" if median < target else "NOT MET"}'
        print(f'{label}: {pages} page(s), {size / 1024:.1f} KiB, median {median:.1f} ms, best {best:.1f} ms, '
              f'CPU median {cpu:.1f} ms'
              f'{verdict}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
