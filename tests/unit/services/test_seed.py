"""The demo-data seeder: deterministic, internally consistent (ledger, statements, payments, claims),
with the documented sign-ins and demo household, on SQLite and PostgreSQL."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError
from sqlalchemy import inspect, text
from sqlmodel import select

from portal import clock
from portal.db import get_engine, init_engine, write_session
from portal.demo.codes import adjustment_reasons, explain_adjustment, procedures, remark_codes
from portal.demo.context import QUICK_PAY_ALPHABET
from portal.demo.people import LAST_NAMES, ascii_fold
from portal.demo.showcase import DEMO_ACCOUNT_NUMBER
from portal.demo.writer import COLUMNS
from portal.models import Payer, User
from portal.services.seed import SeedError, seed_database, seed_demo_if_empty
from tests.support.databases import sqlite_copy

PASSWORD = 'demo-password-for-tests'
SMALL = 120


def rows(sql: str, **params: object) -> list:
    with get_engine().connect() as connection:
        return connection.execute(text(sql), params).all()


def scalar(sql: str, **params: object):  # noqa: ANN201
    return rows(sql, **params)[0][0]


def fingerprint() -> dict[str, str]:
    """A digest of every seeded table (password hashes left out: argon2 salts are random)."""
    digests = {}
    for table, (names, _nullable) in COLUMNS.items():
        columns = ', '.join(f'"{name}"' for name in names if name != 'password_hash')
        digest = hashlib.sha256()
        for row in rows(f'SELECT {columns} FROM "{table}" ORDER BY id'):
            digest.update(repr(tuple(row)).encode())
        digests[table] = digest.hexdigest()
    return digests


@pytest.fixture
def seeded(db: str) -> str:
    seed_database(patients=SMALL, seed=12, password=PASSWORD)  # a seed whose households include a plan
    return db


def test_same_arguments_give_the_same_rows(db: str, request: pytest.FixtureRequest, tmp_path) -> None:
    first = seed_database(patients=SMALL, seed=3, password=PASSWORD)
    before = fingerprint()
    if db.startswith('sqlite'):
        init_engine(sqlite_copy(request.getfixturevalue('sqlite_template_path'), tmp_path))
    else:
        request.getfixturevalue('postgres_database').truncate_all()
    second = seed_database(patients=SMALL, seed=3, password=PASSWORD)
    assert fingerprint() == before
    assert first.rows == second.rows
    assert first.patients == SMALL

    if db.startswith('sqlite'):
        init_engine(sqlite_copy(request.getfixturevalue('sqlite_template_path'), tmp_path))
    else:
        request.getfixturevalue('postgres_database').truncate_all()
    seed_database(patients=SMALL, seed=4, password=PASSWORD)
    other = fingerprint()
    assert other['charge'] != before['charge']
    assert other['user'] == before['user'] or other['guarantor_account'] != before['guarantor_account']


def test_household_shapes_and_volumes(seeded: str) -> None:
    assert scalar('SELECT COUNT(*) FROM patient') == SMALL
    sizes = [count for _, count in rows('SELECT account_id, COUNT(*) FROM patient GROUP BY account_id')]
    assert min(sizes) >= 1 and max(sizes) <= 5
    numbers = [number for (number,) in rows('SELECT account_number FROM guarantor_account')]
    assert all(len(number) == 9 and number[0] == 'A' and number[1:].isdigit() for number in numbers)
    charges = scalar('SELECT COUNT(*) FROM charge')
    assert 6 * SMALL <= charges <= 15 * SMALL  # about ten charges a patient
    assert scalar("SELECT COUNT(*) FROM patient WHERE relationship_to_guarantor = 'self'") > 0
    assert scalar("SELECT COUNT(*) FROM patient WHERE relationship_to_guarantor = 'child'") > 0
    for status in ('paid', 'denied', 'in_process'):
        assert scalar('SELECT COUNT(*) FROM claim WHERE status = :s', s=status) > 0, status
    assert scalar('SELECT COUNT(*) FROM coverage WHERE priority = 2') > 0
    assert scalar("SELECT COUNT(*) FROM appointment WHERE status = 'booked'") > 0
    assert scalar('SELECT COUNT(*) FROM practice_settings') == 1
    assert scalar('SELECT COUNT(*) FROM plan_policy') == 1


def test_every_statement_adds_up_to_the_ledger(seeded: str) -> None:
    statements = rows('SELECT id, account_id, first_entry_id, last_entry_id, previous_balance, new_charges, refunds, '
                      'insurance_payments, adjustments, patient_payments, new_balance, amount_due, statement_date, '
                      'due_date, period FROM statement')
    assert statements
    today = clock.today()
    for (_, account, first, last, previous, charges, refunds, insurance, adjustments, payments, new_balance,
         amount_due, issued, due, period) in statements:
        assert previous + charges + refunds - insurance - adjustments - payments == new_balance
        assert min(insurance, adjustments, payments, charges, refunds) >= 0
        assert new_balance == scalar('SELECT SUM(amount) FROM ledger_entry WHERE account_id = :a AND id <= :last',
                                     a=account, last=last)
        assert previous == scalar('SELECT COALESCE(SUM(amount), 0) FROM ledger_entry WHERE account_id = :a '
                                  'AND id <= :first', a=account, first=first)
        by_kind = dict(rows('SELECT kind, SUM(amount) FROM ledger_entry WHERE account_id = :a AND id > :first '
                            'AND id <= :last GROUP BY kind', a=account, first=first, last=last))
        assert by_kind.get('charge', 0) == charges
        assert -by_kind.get('insurance_payment', 0) == insurance
        assert -by_kind.get('contractual_adjustment', 0) - by_kind.get('write_off', 0) == adjustments
        assert -by_kind.get('patient_payment', 0) == payments
        assert 0 < amount_due <= new_balance
        assert str(issued) < str(today) and str(due) == str(_as_date(issued) + timedelta(days=21))
        assert period == str(issued)[:7]
        assert today.replace(day=1) - timedelta(days=31) <= _as_date(issued)
    accounts = [account for (account,) in rows('SELECT account_id FROM statement')]
    assert len(accounts) == len(set(accounts))  # the latest statement only


def test_money_is_consistent(seeded: str) -> None:
    assert rows('SELECT account_id FROM ledger_entry GROUP BY account_id HAVING SUM(amount) < 0') == []
    # what each charge still owes never goes below what was paid against it
    assert rows('SELECT l.charge_id FROM ledger_entry l WHERE l.charge_id IS NOT NULL GROUP BY l.charge_id '
                'HAVING SUM(l.amount) < 0') == []
    assert rows('SELECT p.id FROM payment p WHERE p.amount <> (SELECT SUM(a.amount) FROM payment_allocation a '
                'WHERE a.payment_id = p.id)') == []
    assert rows("SELECT p.id FROM payment p WHERE -p.amount <> (SELECT SUM(l.amount) FROM ledger_entry l "
                "WHERE l.payment_id = p.id AND l.kind = 'patient_payment')") == []
    assert rows("SELECT c.id FROM claim c WHERE c.paid_amount <> (SELECT COALESCE(-SUM(l.amount), 0) "
                "FROM ledger_entry l WHERE l.claim_id = c.id AND l.kind = 'insurance_payment')") == []
    assert rows('SELECT a.charge_id FROM payment_allocation a GROUP BY a.charge_id HAVING SUM(a.amount) > '
                '(SELECT SUM(l.amount) FROM ledger_entry l WHERE l.charge_id = a.charge_id AND '
                "l.kind <> 'patient_payment')") == []
    signs = dict(rows('SELECT kind, MAX(amount) FROM ledger_entry GROUP BY kind'))
    assert signs.pop('charge') > 0 and all(value < 0 for value in signs.values())
    assert scalar("SELECT COUNT(*) FROM payment WHERE status <> 'succeeded'") == 0
    refs = [ref for (ref,) in rows('SELECT external_ref FROM ledger_entry')]
    assert all(ref.startswith('seed:') for ref in refs) and len(refs) == len(set(refs))
    installments = rows("SELECT i.payment_id FROM plan_installment i WHERE i.status = 'paid'")
    assert installments and all(payment_id is not None for (payment_id,) in installments)


def test_demo_sign_ins_and_household(seeded: str) -> None:
    hasher = PasswordHasher()
    patient = rows('SELECT id, role, password_hash, first_name, last_name FROM "user" '
                   "WHERE email = 'patient@example.com'")[0]
    staff = rows('SELECT role, password_hash, mfa_exempt FROM "user" WHERE email = \'staff@example.com\'')[0]
    assert patient.role == 'patient' and (patient.first_name, patient.last_name) == ('Maria', 'Alvarez')
    assert hasher.verify(patient.password_hash, PASSWORD) and hasher.verify(staff.password_hash, PASSWORD)
    assert staff.role == 'staff' and bool(staff.mfa_exempt)
    admin = rows('SELECT role, password_hash, mfa_exempt FROM "user" WHERE email = \'priya.raman@example.com\'')[0]
    assert admin.role == 'admin' and bool(admin.mfa_exempt) and hasher.verify(admin.password_hash, PASSWORD)
    other = rows('SELECT password_hash FROM "user" WHERE email NOT IN '
                 "('patient@example.com', 'staff@example.com', 'priya.raman@example.com') LIMIT 1")[0][0]
    with pytest.raises(VerifyMismatchError):
        hasher.verify(other, PASSWORD)

    assert scalar('SELECT COUNT(*) FROM saved_reply') == 3  # the office's saved replies, for the staff queue
    assert scalar("SELECT COUNT(*) FROM message WHERE body LIKE '%attached%'") == 0  # the demo attaches no file

    account = scalar("SELECT a.account_id FROM account_access a WHERE a.user_id = :u AND a.relationship = 'self'",
                     u=patient.id)
    assert scalar('SELECT account_number FROM guarantor_account WHERE id = :a', a=account) == DEMO_ACCOUNT_NUMBER
    assert scalar('SELECT COUNT(*) FROM patient WHERE account_id = :a', a=account) in (2, 3)
    statement = rows('SELECT due_date, amount_due, insurance_payments, adjustments FROM statement '
                     'WHERE account_id = :a', a=account)[0]
    assert str(statement.due_date) > str(clock.today()) and statement.amount_due > 0
    assert statement.insurance_payments > 0 and statement.adjustments > 0
    assert scalar("SELECT COUNT(*) FROM appointment WHERE account_id = :a AND status = 'booked'", a=account) >= 1
    assert scalar("SELECT COUNT(*) FROM message m JOIN message_thread t ON t.id = m.thread_id "
                  "LEFT JOIN thread_read r ON r.thread_id = t.id AND r.user_id = :u WHERE t.account_id = :a "
                  "AND m.author_role = 'staff' AND m.id > COALESCE(r.last_read_message_id, 0)",
                  a=account, u=patient.id) >= 1
    assert rows("SELECT brand, last4 FROM saved_payment_method WHERE account_id = :a AND gateway = 'demo'",
                a=account) == [('visa', '4242')]


def test_the_demo_household_does_not_depend_on_the_seed(db: str, request: pytest.FixtureRequest, tmp_path) -> None:
    query = ('SELECT l.kind, l.amount, l.effective_date FROM ledger_entry l JOIN guarantor_account a '
             'ON a.id = l.account_id WHERE a.account_number = :n ORDER BY l.id')
    seed_database(patients=10, seed=1, password=PASSWORD)
    first = rows(query, n=DEMO_ACCOUNT_NUMBER)
    if db.startswith('sqlite'):
        init_engine(sqlite_copy(request.getfixturevalue('sqlite_template_path'), tmp_path))
    else:
        request.getfixturevalue('postgres_database').truncate_all()
    seed_database(patients=40, seed=99, password=PASSWORD)
    assert rows(query, n=DEMO_ACCOUNT_NUMBER) == first


def test_quick_pay_codes_are_unique_and_unambiguous(seeded: str) -> None:
    codes = [code for (code,) in rows('SELECT quick_pay_code FROM statement')]
    assert len(codes) == len(set(codes))
    assert all(len(code) == 12 and set(code) <= set(QUICK_PAY_ALPHABET) for code in codes)
    assert not set('01ILO') & set(QUICK_PAY_ALPHABET)


def test_seed_demo_if_empty_seeds_once(db: str) -> None:
    first = seed_demo_if_empty(password=PASSWORD)
    assert first is not None and first.patients == 200
    users = scalar('SELECT COUNT(*) FROM "user"')
    assert seed_demo_if_empty(password=PASSWORD) is None
    assert scalar('SELECT COUNT(*) FROM "user"') == users
    assert 'patient@example.com' in first.describe() and 'staff@example.com' in first.describe()


def test_a_database_with_real_users_never_gets_demo_users(db: str) -> None:
    with write_session() as session:
        session.add(User(email='admin@example.com', password_hash='x', role='admin'))
    assert seed_demo_if_empty(password=PASSWORD) is None
    with pytest.raises(SeedError, match='holds real users'):
        seed_database(patients=20, seed=1, password=PASSWORD)
    assert scalar('SELECT COUNT(*) FROM "user"') == 1


def test_a_second_seed_is_refused(db: str) -> None:
    seed_database(patients=20, seed=1, password=PASSWORD)
    with pytest.raises(SeedError, match='already holds the demo data'):
        seed_database(patients=20, seed=1, password=PASSWORD)


def test_fast_load_rebuilds_indexes_and_sequences(db: str) -> None:
    def plain(index: dict) -> str:  # a partial index's WHERE is a TextClause: compare its SQL, not its id
        return str({**index, 'dialect_options': {k: str(v) for k, v in index.get('dialect_options', {}).items()}})

    def schema() -> dict[str, object]:
        inspector = inspect(get_engine())
        return {table: (sorted(map(plain, inspector.get_indexes(table))),
                        sorted(map(str, inspector.get_unique_constraints(table))),
                        sorted(map(str, inspector.get_foreign_keys(table))))
                for table in COLUMNS}

    before = schema()
    seed_database(patients=60, seed=5, password=PASSWORD, fast=True)
    assert schema() == before
    if db.startswith('sqlite'):
        assert rows('PRAGMA foreign_key_check') == []
        assert scalar('PRAGMA foreign_keys') == 1
    with write_session() as session:  # ids continue after the seeded ones (PostgreSQL sequences)
        session.add(Payer(name='After Seed Health', payer_code='AFTER'))
        session.add(User(email='later@example.com', password_hash='x'))
    with write_session() as session:
        assert session.exec(select(Payer).where(Payer.payer_code == 'AFTER')).one().id > 8


def test_reference_text_covers_what_the_seeder_uses(seeded: str) -> None:
    reasons, remarks, codes = adjustment_reasons(), remark_codes(), procedures()
    assert len(codes) >= 60 and all(p.amount > 0 and p.description for p in codes.values())
    for group, carc, rarc in rows('SELECT DISTINCT group_code, carc_code, rarc_code FROM claim_adjustment'):
        assert f'{group}-{carc}' in reasons
        assert rarc == '' or rarc in remarks
    for (carc,) in rows('SELECT DISTINCT carc_code FROM ledger_entry WHERE carc_code IS NOT NULL'):
        assert carc in reasons
    assert {code for (code,) in rows('SELECT DISTINCT code FROM charge')} <= set(codes)
    assert explain_adjustment('CO', '45') == 'Charge exceeds the contracted fee: you do not owe this.'
    assert 'Patient responsibility' in explain_adjustment('PR', '999')


def test_names_include_characters_outside_latin_1() -> None:
    assert any(not name.isascii() and any(ord(ch) > 255 for ch in name) for name in LAST_NAMES)
    assert ascii_fold('Nguyễn') == 'Nguyen' and ascii_fold('Łukasz') == 'Lukasz' and ascii_fold("O'Brien") == 'OBrien'


def _as_date(value: object):  # noqa: ANN202
    from datetime import date
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def test_every_statement_holds_out_what_the_pay_page_would(seeded: str) -> None:
    """A demo statement's "Waiting for insurance" is the statement run's rule (payable.waiting_query as of
    its last entry): what is still open on pending charges, so a copay paid at the desk is not held twice."""
    from portal.models import Statement
    from portal.services.payable import waiting_query
    with write_session() as session:
        statements = session.exec(select(Statement)).all()
        assert any(statement.waiting_for_insurance for statement in statements)
        for statement in statements:
            expected = session.exec(select(waiting_query(statement.account_id,
                                                         upto_entry_id=statement.last_entry_id))).one()
            assert statement.waiting_for_insurance == min(expected, statement.new_balance), statement.id


def test_every_demo_patient_is_insured_and_every_claim_names_the_payers_number(seeded: str) -> None:
    assert scalar('SELECT COUNT(*) FROM patient p WHERE NOT EXISTS '
                  '(SELECT 1 FROM coverage c WHERE c.patient_id = p.id)') == 0
    statuses = {status for (status,) in rows('SELECT DISTINCT status FROM claim')}
    assert {'submitted', 'accepted', 'in_process', 'paid', 'partially_paid', 'denied'} <= statuses
    assert scalar("SELECT COUNT(*) FROM claim WHERE claim_number IS NULL OR claim_number = ''") == 0


def test_the_demo_household_has_card_pictures_and_a_denied_claim_with_a_next_step(seeded: str) -> None:
    from portal.services.claims import COVERAGE_ENDED_CARCS
    from portal.services.file_disk import object_path
    cards = rows("SELECT f.owner_id, f.name, f.storage_key, f.content_type FROM stored_file f "
                 "JOIN coverage c ON c.id = f.owner_id JOIN patient p ON p.id = c.patient_id "
                 "JOIN guarantor_account a ON a.id = p.account_id WHERE f.owner_kind = 'coverage_card' "
                 "AND a.account_number = :n ORDER BY f.owner_id, f.name", n=DEMO_ACCOUNT_NUMBER)
    coverages = scalar('SELECT COUNT(*) FROM coverage c JOIN patient p ON p.id = c.patient_id '
                       'JOIN guarantor_account a ON a.id = p.account_id WHERE a.account_number = :n',
                       n=DEMO_ACCOUNT_NUMBER)
    assert [name for _, name, _, _ in cards] == ['card-back.png', 'card-front.png'] * coverages
    assert all(kind == 'image/png' and object_path(key).is_file() for _, _, key, kind in cards)
    assert scalar("SELECT COUNT(*) FROM stored_file WHERE owner_kind = 'coverage_card'") == len(cards)  # no one else
    denials = [code for (code,) in rows(
        "SELECT e.code FROM claim_status_event e JOIN claim c ON c.id = e.claim_id JOIN guarantor_account a "
        "ON a.id = c.account_id WHERE a.account_number = :n AND e.status = 'denied'", n=DEMO_ACCOUNT_NUMBER)]
    assert any(code.split('-')[1] in COVERAGE_ENDED_CARCS for code in denials)


def test_seeded_plans_store_the_statuses_the_ledger_gives(seeded: str) -> None:
    """Pages only read plans (the money-moved step writes them): the seeder leaves none behind the ledger."""
    from sqlmodel import col

    from portal.db import read_session
    from portal.models import PaymentPlan
    from portal.services.plans import coverage
    with read_session() as session:
        plans = session.exec(select(PaymentPlan).where(col(PaymentPlan.status).in_(coverage.ACTIVE))).all()
        assert plans
        for plan in plans:
            rows = coverage.installments(session, plan.id)
            derived = coverage.standing(session, plan, rows=rows).statuses
            assert {row.id: row.status for row in rows if row.id in derived} == derived


def test_open_demo_threads_promise_a_reply_date_and_some_are_past_it(db: str) -> None:
    """The office owes a reply to every open thread (its last message is the patient's): each has the date,
    2 business days after that message, so the staff queue's "Past reply date" and the digest have some."""
    from datetime import date
    seed_database(patients=600, seed=3, password=PASSWORD)  # enough households with threads to have open ones

    from portal.services.messaging.reply_dates import add_business_days
    found = rows("SELECT t.status, t.expected_reply_by, MAX(m.created_at) FROM message_thread t "
                 "JOIN message m ON m.thread_id = t.id GROUP BY t.id, t.status, t.expected_reply_by")
    assert {status for status, _, _ in found} >= {'open', 'waiting_on_patient'}

    def day(value: object) -> date:  # a date, a datetime (PostgreSQL) or text (SQLite)
        return date.fromisoformat(str(value)[:10])

    for status, expected, last in found:
        assert (expected is None) == (status != 'open'), status
        if expected is not None:
            assert day(expected) == add_business_days(day(last), 2)
    assert any(expected is not None and day(expected) < clock.today() for _, expected, _ in found)
