"""The autopay sweep over 10,000 due installments, timed: DemoGateway, and StripeGateway against localstripe
(started without its disk dumps).

    .venv/bin/python tests/benchmarks/bench_autopay.py [--installments 10000] [--postgres]
                                                       [--localstripe [--stripe-installments 2000]]

Each installment is on its own account and plan (one charge owed, one saved card), due yesterday; the
rows are bulk-inserted, then `portal.services.autopay.sweep()` runs once and must pay every one. Prints the
seconds and the rate. SQLite by default (a new file in a temporary directory); --postgres creates a
database on PORTAL_TEST_POSTGRES_URL's server (default postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault('PORTAL_ENV', 'test')

from sqlalchemy import func, insert, text  # noqa: E402
from sqlmodel import select  # noqa: E402

from portal.clock import utcnow  # noqa: E402
from portal.config import reload_settings  # noqa: E402
from portal.db import dispose_engine, init_engine, migrate, read_session, write_session  # noqa: E402
from portal.models import (  # noqa: E402
    Charge,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    Location,
    Patient,
    Payment,
    PaymentPlan,
    PlanInstallment,
    PlanPolicy,
    Provider,
    SavedPaymentMethod,
)
from portal.services.practice import load_practice_today as practice_today  # noqa: E402

AMOUNT = 5000


def build(count: int, methods: list[tuple[str, str]]) -> None:
    """`count` accounts, each owing AMOUNT on one charge, on a one-installment plan due yesterday, with the
    saved method methods[i] = (gateway customer id, gateway method id)."""
    gateway = 'stripe' if methods[0][1].startswith('pm_') and not methods[0][1].startswith('pm_demo') else 'demo'
    due = practice_today() - timedelta(days=1)
    signed = utcnow() - timedelta(days=40)
    ids = range(1, count + 1)
    with write_session() as session:
        session.add(PlanPolicy(id=1))
        session.add(Provider(id=1, npi='1000000001', first_name='Ana', last_name='Reyes'))
        session.add(Location(id=1, name='Riverside Main Clinic'))
        session.flush()
        rows = {
            GuarantorAccount: [{'id': i, 'account_number': f'B{i:08d}', 'guarantor_first_name': 'Pat',
                                'guarantor_last_name': f'Bench{i}'} for i in ids],
            Patient: [{'id': i, 'account_id': i, 'mrn': f'MB{i:08d}', 'first_name': 'Pat', 'last_name': f'Bench{i}',
                       'date_of_birth': due.replace(year=1980)} for i in ids],
            Encounter: [{'id': i, 'account_id': i, 'patient_id': i, 'provider_id': 1, 'location_id': 1,
                         'date_of_service': due - timedelta(days=60)} for i in ids],
            Charge: [{'id': i, 'encounter_id': i, 'account_id': i, 'patient_id': i, 'code': '99213',
                      'description': 'Office visit', 'amount': AMOUNT, 'date_of_service': due - timedelta(days=60)}
                     for i in ids],
            LedgerEntry: [{'id': i, 'account_id': i, 'patient_id': i, 'charge_id': i, 'kind': 'charge',
                           'amount': AMOUNT, 'effective_date': due - timedelta(days=60),
                           'posted_at': signed - timedelta(days=1), 'external_ref': f'bench:chg:{i}'} for i in ids],
            SavedPaymentMethod: [{'id': i, 'account_id': i, 'gateway': gateway,
                                  'gateway_customer_id': methods[i - 1][0], 'gateway_method_id': methods[i - 1][1],
                                  'kind': 'card', 'brand': 'visa',
                                  'last4': '4242', 'exp_month': 12, 'exp_year': 2030, 'is_default': True} for i in ids],
            PaymentPlan: [{'id': i, 'account_id': i, 'policy_id': 1, 'total_amount': AMOUNT,
                           'installment_amount': AMOUNT, 'months': 1, 'day_of_month': due.day if due.day <= 28 else 28,
                           'autopay_method_id': i, 'signed_name': f'Pat Bench{i}', 'signed_at': signed,
                           'terms_version': '2026-01'} for i in ids],
            PlanInstallment: [{'id': i, 'plan_id': i, 'seq': 1, 'due_date': due, 'amount': AMOUNT} for i in ids],
        }
        for model, values in rows.items():
            for start in range(0, len(values), 2000):
                session.execute(insert(model), values[start:start + 2000])
        if session.get_bind().dialect.name == 'postgresql':  # explicit ids: move the sequences past them
            for model in (PlanPolicy, Provider, Location, *rows):
                table = model.__tablename__
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                     f'(SELECT MAX(id) FROM "{table}"))'))


def sweep_and_check(count: int) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds of this process, what a second sweep found). A second sweep must leave every
    installment paid: one the first left 'processing' is resumed under its own key, never charged again."""
    from portal.services import autopay
    began, cpu = time.perf_counter(), time.process_time()
    result = autopay.sweep()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    again = autopay.sweep()
    with read_session() as session:
        paid = session.exec(select(func.count()).select_from(PlanInstallment)
                            .where(PlanInstallment.status == 'paid')).one()
        payments = session.exec(select(func.count()).select_from(Payment)).one()
    note = f'first sweep {result.describe()}; second {again.describe()}'
    if paid != count or payments != count:
        print(f'swept {count:,} in {seconds:.1f} s wall, {cpu:.1f} s CPU; {note}', flush=True)
        raise SystemExit(f'expected {count} paid: {paid} paid, {payments} payments')
    return seconds, cpu, note


def database(postgres: bool, directory: Path):  # noqa: ANN201
    if postgres:
        from tests.support.databases import PostgresDatabase
        created = PostgresDatabase()
        return created.url, created.drop
    return f'sqlite:///{directory / "bench.db"}', lambda: None


def run(label: str, *, count: int, postgres: bool, stripe_url: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url, drop = database(postgres, Path(directory))
        os.environ['PORTAL_DATABASE_URL'] = url
        reload_settings()
        init_engine(url)
        try:
            migrate()
            from portal.payments.registry import reset_gateway, set_gateway
            if stripe_url:
                gateway, methods = _stripe_methods(stripe_url, count)
            else:
                from portal.payments.demo_gateway import DemoGateway
                gateway = DemoGateway(base_url='http://127.0.0.1:8080', webhook_secret='whsec_bench')
                methods = [(f'cus_demo_{i:08d}', f'pm_demo_{i:016x}') for i in range(1, count + 1)]
            set_gateway(gateway)
            built = time.perf_counter()
            build(count, methods)
            print(f'{label}: built {count:,} due installments in {time.perf_counter() - built:.1f} s', flush=True)
            seconds, cpu, note = sweep_and_check(count)
            print(f'{label}: swept {count:,} installments in {seconds:.1f} s wall, {cpu:.1f} s CPU '
                  f'({count / seconds:,.0f} a second, {1000 * seconds / count:.2f} ms each); {note}', flush=True)
            reset_gateway()
        finally:
            dispose_engine()
            drop()


def _stripe_methods(stripe_url: str, count: int):  # noqa: ANN202
    from portal.payments.stripe_gateway import StripeGateway
    from tests.support.localstripe import SECRET_KEY
    gateway = StripeGateway(secret_key=SECRET_KEY, webhook_secret='whsec_bench', api_base=stripe_url)
    began = time.perf_counter()
    methods = []
    for i in range(1, count + 1):
        customer = gateway.ensure_customer(idempotency_key=f'bench-customer-{i}', account_number=f'B{i:08d}')
        method = gateway.client.v1.payment_methods.create(
            {'type': 'card', 'card': {'number': '4242424242424242', 'exp_month': 12, 'exp_year': 2030, 'cvc': '123'}})
        gateway.client.v1.payment_methods.attach(method.id, {'customer': customer})
        methods.append((customer, method.id))
    print(f'localstripe: {count:,} customers and cards in {time.perf_counter() - began:.1f} s', flush=True)
    return gateway, methods


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--installments', type=int, default=10_000)
    parser.add_argument('--postgres', action='store_true')
    parser.add_argument('--localstripe', action='store_true')
    parser.add_argument('--stripe-installments', type=int, default=10_000)
    arguments = parser.parse_args()
    backend = 'postgres' if arguments.postgres else 'sqlite'
    run(f'demo/{backend}', count=arguments.installments, postgres=arguments.postgres)
    if arguments.localstripe:
        from tests.support.localstripe import localstripe
        with tempfile.TemporaryDirectory() as directory, localstripe(Path(directory)) as url:
            run(f'localstripe/{backend}', count=arguments.stripe_installments, postgres=arguments.postgres,
                stripe_url=url)


def test_autopay_sweep_bench() -> None:
    """`pytest tests/benchmarks/bench_autopay.py`: a smaller run of the same."""
    run('demo/sqlite', count=1000, postgres=False)


if __name__ == '__main__':
    main()
