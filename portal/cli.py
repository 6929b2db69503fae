"""`python -m portal ...`: migrate, seed, create-user (more commands arrive with their issues)."""
from __future__ import annotations

import argparse
import getpass
import sys

from portal.config import get_settings
from portal.db import init_engine, migrate


def _progress_bar(label: str):  # noqa: ANN202
    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f'\r{label} [{"#" * filled}{"." * (width - filled)}] {done:,}/{total:,}')
        if done >= total:
            sys.stderr.write('\n')
        sys.stderr.flush()
    return show


def cmd_migrate(_args: argparse.Namespace) -> int:
    migrate()
    print('Database is at the newest schema.')
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from portal.services.seed import SeedError, seed_database
    settings = get_settings()
    if settings.production:
        print('Refusing to seed demo data in production (PORTAL_ENV=production).', file=sys.stderr)
        return 2
    migrate()
    try:
        summary = seed_database(patients=args.patients, seed=args.seed, password=settings.demo_password,
                                progress=_progress_bar('Seeding'))
    except SeedError as error:
        print(error, file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from portal.errors import DomainError
    from portal.services.identity.admin import create_user
    migrate()
    password = args.password or getpass.getpass('Password (12+ characters): ')
    try:
        user_id = create_user(email=args.email, password=password, role=args.role,
                              first_name=args.first_name, last_name=args.last_name)
    except DomainError as error:
        print(error.message, file=sys.stderr)
        for field, message in error.field_errors.items():
            print(f'  {field}: {message}', file=sys.stderr)
        return 2
    print(f'Created {args.role} user #{user_id} ({args.email}).')
    return 0


def cmd_statement_run(_args: argparse.Namespace) -> int:
    from portal.services.statement_run import run_statements
    migrate()
    result = run_statements(progress=_progress_bar('Statements'))
    print(f'Statement run #{result.run_id} for {result.period}: {result.statements_created:,} statements issued, '
          f'{result.skipped_on_hold:,} accounts on hold, {result.skipped_not_due:,} not due, '
          f'{result.emails_queued:,} paperless emails queued.')
    return 0


def _import_csv(importer, file: str) -> int:  # noqa: ANN001
    """An all-or-nothing CSV import: its summary, or every problem (row, field, reason) and exit 2."""
    from portal.interop.charges_csv import ImportRejected
    migrate()
    try:
        summary = importer(path=file)
    except ImportRejected as rejected:
        print(f'Nothing was imported: {len(rejected.problems)} problem(s) in {file}.', file=sys.stderr)
        for problem in rejected.problems:
            print(f'  {problem}', file=sys.stderr)
        return 2
    print(summary.describe())
    return 0


def cmd_import_charges(args: argparse.Namespace) -> int:
    from portal.services.charge_import import import_charges
    return _import_csv(import_charges, args.file)


def cmd_import_claims(args: argparse.Namespace) -> int:
    from portal.services.claim_import import import_claims
    return _import_csv(import_claims, args.file)


def cmd_import_835(args: argparse.Namespace) -> int:
    """Each file on its own: a fatal finding refuses that file whole (nothing posted, exit 2); warnings
    and unmatched claims are listed and the file is posted (exit 0)."""
    from pathlib import Path

    from portal.db import write_session
    from portal.interop.x12_835 import MAX_BYTES, read_835
    from portal.services.remittance_import import Refused835, import_835
    migrate()
    refused = 0
    for name in args.files:
        path = Path(name)
        try:
            with path.open('rb') as handle:
                data = handle.read(MAX_BYTES + 1)  # one byte more than allowed is enough to refuse it
        except OSError as error:
            print(f'{name}: cannot be read ({error.strerror}); nothing posted.', file=sys.stderr)
            refused += 1
            continue
        checked = read_835(data)  # outside the write transaction: pyx12 takes seconds on a big file
        try:
            with write_session() as session:
                report = import_835(session, actor=None, data=data, file_name=path.name, read=checked)
        except Refused835 as refusal:
            print(f'{name}: refused, nothing posted.', file=sys.stderr)
            for finding in refusal.findings:
                print(f'  {finding}', file=sys.stderr)
            refused += 1
            continue
        print(f'{name}:')
        print('  ' + report.describe().replace('\n', '\n  '))
    return 2 if refused else 0


def cmd_autopay(_args: argparse.Namespace) -> int:
    """Run the autopay sweep now (the scheduler runs it daily); safe to repeat."""
    from portal.jobs import autopay
    result = autopay.run()
    print(f'Autopay: {result.describe()}.' if result else 'Autopay: another run holds this key; nothing done.')
    return 0 if result is None or not result.errors else 1


def cmd_rebuild_balances(_args: argparse.Namespace) -> int:
    import time

    from portal.db import write_session
    from portal.services import receivables
    from portal.services.desk import adjustments
    migrate()
    started = time.perf_counter()
    with write_session() as session:  # adjustments from before they were spread over charges: spread now
        spread = adjustments.spread_account_level(session)
    if spread:
        print(f'Spread {spread:,} account-level adjustments over their accounts\' open charges.')
    with write_session() as session:
        charges = receivables.rebuild(session.connection())
    print(f'Rebuilt the open balance of {charges:,} charges, their rollup and the ledger by day from the ledger '
          f'in {time.perf_counter() - started:.1f} s.')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python -m portal', description='Settle portal administration')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('migrate', help='upgrade the database to the newest schema').set_defaults(run=cmd_migrate)
    seed = commands.add_parser('seed', help='fill the database with deterministic demo data')
    seed.add_argument('--patients', type=int, default=200)
    seed.add_argument('--seed', type=int, default=2026)
    seed.set_defaults(run=cmd_seed)
    create = commands.add_parser('create-user', help='create a staff, admin or patient user')
    create.add_argument('--email', required=True)
    create.add_argument('--role', choices=['patient', 'staff', 'admin'], default='staff')
    create.add_argument('--first-name', default='')
    create.add_argument('--last-name', default='')
    create.add_argument('--password', help='prompted for when left out')
    create.set_defaults(run=cmd_create_user)
    commands.add_parser('statement-run', help="issue this month's statements to accounts that are due one") \
        .set_defaults(run=cmd_statement_run)
    from portal.interop.charges_csv import COLUMNS_HELP
    charges = commands.add_parser('import-charges', help='import charges from a CSV file (all or nothing)',
                                  description=COLUMNS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    charges.add_argument('file', help='the CSV file (UTF-8, header row)')
    charges.set_defaults(run=cmd_import_charges)
    from portal.interop.claims_csv import COLUMNS_HELP as CLAIM_COLUMNS
    claims = commands.add_parser('import-claims', help="import claims from the practice's billing system (CSV)",
                                 description=CLAIM_COLUMNS, formatter_class=argparse.RawDescriptionHelpFormatter)
    claims.add_argument('file', help='the CSV file (UTF-8, header row)')
    claims.set_defaults(run=cmd_import_claims)
    remits = commands.add_parser('import-835', help='post insurance payments from 835 remittance files',
                                 description='Each file is checked whole: a fatal problem (not an 835, another '
                                             'version, envelope or control numbers that disagree, a payment total '
                                             'that does not balance) refuses it with line and reason and posts '
                                             'nothing (exit 2). Warnings and unmatched claims are listed; a payment '
                                             'already imported is skipped.')
    remits.add_argument('files', nargs='+', metavar='FILE', help='835 files (005010X221A1)')
    remits.set_defaults(run=cmd_import_835)
    commands.add_parser('autopay', help='charge the plan installments due now (the daily job)') \
        .set_defaults(run=cmd_autopay)
    commands.add_parser('rebuild-balances', help="rebuild each charge's open balance and the dashboard's rollups "
                        'from the ledger').set_defaults(run=cmd_rebuild_balances)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    init_engine(settings.database_url)
    return args.run(args)
