"""An 835 of 5,000 claims and 20,000 service lines (issue 16): pyx12 validation and posting timed apart.

    .venv/bin/python tests/benchmarks/bench_remittance.py [--claims 5000] [--lines 4]

Builds a temporary SQLite database (migrated), bulk-inserts one payer, 1,000 accounts with a patient and a
primary coverage each, and per claim a visit with `--lines` charges (every other line with a modifier) and
its claim; writes one 835 paying every claim (line control numbers on half the claims, code + modifier
matching on the rest; CO-45 and PR-2 on each line) and times: Settle's read and checks without pyx12,
pyx12's validation, and the import (matching, posting, claim status, money moved) in one transaction.
A second import of the same file is timed too (it must post nothing).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from portal.db import dispose_engine, init_engine, migrate, read_session, write_session  # noqa: E402
from portal.interop.x12_835 import Adjustment, ClaimPayment, Remittance835, ServiceLine, read_835  # noqa: E402
from portal.interop.x12_835_envelope import split_interchange  # noqa: E402
from portal.interop.x12_835_pyx12 import pyx12_findings  # noqa: E402
from portal.interop.x12_835_write import write_835  # noqa: E402
from portal.models import (  # noqa: E402
    Charge,
    Claim,
    Coverage,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    Location,
    Patient,
    Payer,
    Provider,
)
from portal.services.remittance_import import import_835  # noqa: E402

CODES = ('99213', '36415', '85025', '80053', '87880', '90471')
DOS = date(2026, 2, 3)


def _ids(connection, table) -> list[int]:  # noqa: ANN001
    return list(connection.execute(select(table.id).order_by(table.id)).scalars())


def seed(claims: int, lines: int) -> list[ClaimPayment]:
    """The rows, and the claim payments an 835 about them carries."""
    accounts = max(1, claims // 5)
    with write_session() as session:
        connection = session.connection()
        connection.execute(insert(Payer), [{'name': 'Bench Health', 'payer_code': 'BENCH', 'phone': ''}])
        connection.execute(insert(Provider), [{'npi': '1234567893', 'first_name': 'A', 'last_name': 'B',
                                               'credentials': 'MD', 'specialty': ''}])
        connection.execute(insert(Location), [{'name': 'Main', 'address_line1': '', 'city': '', 'state': '',
                                               'postal_code': '', 'phone': ''}])
        connection.execute(insert(GuarantorAccount), [{'account_number': f'B{n:08d}', 'guarantor_first_name': 'Pat',
                                                       'guarantor_last_name': f'Bench{n}'} for n in range(accounts)])
        account_ids = _ids(connection, GuarantorAccount)
        connection.execute(insert(Patient), [{'account_id': account, 'mrn': f'M{n:08d}', 'first_name': 'Pat',
                                              'last_name': f'Bench{n}', 'date_of_birth': date(1980, 1, 1)}
                                             for n, account in enumerate(account_ids)])
        patient_ids = _ids(connection, Patient)
        payer_id = connection.execute(select(Payer.id)).scalar()
        connection.execute(insert(Coverage), [{'patient_id': patient, 'payer_id': payer_id, 'member_id': f'X{n}',
                                               'subscriber_name': 'Pat', 'priority': 1}
                                              for n, patient in enumerate(patient_ids)])
        coverage_ids = _ids(connection, Coverage)
        provider_id = connection.execute(select(Provider.id)).scalar()
        location_id = connection.execute(select(Location.id)).scalar()
        connection.execute(insert(Encounter), [{'account_id': account_ids[n % accounts],
                                                'patient_id': patient_ids[n % accounts], 'provider_id': provider_id,
                                                'location_id': location_id, 'date_of_service': DOS,
                                                'visit_type': 'Office visit'} for n in range(claims)])
        encounter_ids = _ids(connection, Encounter)
        charge_rows = []
        for n, encounter in enumerate(encounter_ids):
            for line in range(lines):
                charge_rows.append({'encounter_id': encounter, 'account_id': account_ids[n % accounts],
                                    'patient_id': patient_ids[n % accounts], 'code': CODES[line % len(CODES)],
                                    'modifier': '25' if line % 2 else '', 'description': 'x', 'units': 1,
                                    'amount': 10000 + line * 100, 'date_of_service': DOS,
                                    'external_id': f'E{n}-{line}', 'code_system': 'CPT', 'currency': 'USD'})
        for start in range(0, len(charge_rows), 10_000):
            connection.execute(insert(Charge), charge_rows[start:start + 10_000])
        entries = [{'account_id': row['account_id'], 'patient_id': row['patient_id'], 'kind': 'charge',
                    'amount': row['amount'], 'currency': 'USD', 'effective_date': DOS,
                    'external_ref': f'bench-charge-{row["external_id"]}', 'memo': ''} for row in charge_rows]
        for start in range(0, len(entries), 10_000):
            connection.execute(insert(LedgerEntry), entries[start:start + 10_000])
        connection.execute(insert(Claim), [{'account_id': account_ids[n % accounts],
                                            'patient_id': patient_ids[n % accounts], 'encounter_id': encounter,
                                            'coverage_id': coverage_ids[n % accounts], 'claim_number': f'PM{n:07d}',
                                            'status': 'submitted', 'billed_amount': 0}
                                           for n, encounter in enumerate(encounter_ids)])
    payments = []
    for n in range(claims):
        services = []
        for line in range(lines):
            billed = 10000 + line * 100
            services.append(ServiceLine(line=0, qualifier='HC', code=CODES[line % len(CODES)],
                                        modifiers=('25',) if line % 2 else (), billed=billed,
                                        paid=billed - 3000, units=1, service_date=DOS,
                                        control_number=f'E{n}-{line}' if n % 2 else '',
                                        adjustments=[Adjustment('CO', '45', 2000), Adjustment('PR', '2', 1000)]))
        payments.append(ClaimPayment(line=0, claim_number=f'PM{n:07d}', status='1',
                                     billed=sum(s.billed for s in services), paid=sum(s.paid for s in services),
                                     patient_responsibility=1000 * lines, payer_claim_number=f'ICN{n}',
                                     patient_last='BENCH', patient_first='PAT', lines=services))
    return payments


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--claims', type=int, default=5000)
    parser.add_argument('--lines', type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f'sqlite:///{Path(folder) / "bench.db"}'
        init_engine(url)
        migrate()
        started = time.perf_counter()
        payments = seed(args.claims, args.lines)
        print(f'seeded {args.claims:,} claims / {args.claims * args.lines:,} charges in '
              f'{time.perf_counter() - started:.1f} s')
        remittance = Remittance835(line=0, control_number='', amount=sum(p.paid for p in payments),
                                   trace_number='BENCH-EFT-1', payer_name='BENCH HEALTH', payer_ids=['BENCH'],
                                   payment_date=DOS + timedelta(days=30), claims=payments)
        data = write_835([remittance])
        print(f'835: {len(data) / 1e6:.1f} MB, {data.count(b"~"):,} segments, '
              f'{sum(len(p.lines) for p in payments):,} service lines')
        started = time.perf_counter()
        read = read_835(data, validate=False)
        reading = time.perf_counter() - started
        assert not read.fatal, read.fatal
        started = time.perf_counter()
        interchange = split_interchange(data, max_bytes=10**9)
        findings = pyx12_findings(interchange.text, interchange.segment_ids)
        validating = time.perf_counter() - started
        print(f'Settle read and checks: {reading:.2f} s; pyx12 validation: {validating:.2f} s '
              f'({len(findings)} findings)')
        for attempt in ('first import', 'same file again'):
            started = time.perf_counter()
            with write_session() as session:
                report = import_835(session, actor=None, data=data, file_name='bench.835', read=read)
            posting = time.perf_counter() - started
            print(f'posting, {attempt}: {posting:.2f} s ({report.payments[0].matched:,} claims matched, '
                  f'{len(report.warnings)} warnings)')
        with read_session() as session:
            count = session.execute(select(func.count()).select_from(LedgerEntry)
                                    .where(LedgerEntry.kind != 'charge')).scalar()
        print(f'ledger entries posted: {count:,}')
        dispose_engine()


if __name__ == '__main__':
    main()
