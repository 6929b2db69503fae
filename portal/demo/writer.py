"""Bulk writing of generated rows: explicit primary keys, SQLite executemany, PostgreSQL COPY.

Rows are plain tuples in the column order declared in COLUMNS. A column marked '?' may be NULL:
generators put `writer.null` there. On SQLite that is 0 bound through NULLIF(?, 0), because the
sqlite3 module binds None (and bool) through its slow adapter lookup, several times slower than an
int; on PostgreSQL it is None. Booleans are written as 0/1, dates and datetimes as the ISO strings
SQLAlchemy itself stores on SQLite ('2026-01-31', '2026-01-31 09:30:00.000000').

For large loads (`fast=True`) the writer drops the secondary indexes (and, on PostgreSQL, the
foreign keys and unique constraints) of the tables it loads and rebuilds them before commit, in
the same transaction; on SQLite it turns foreign-key enforcement off for its connection instead.
Either way the load is one transaction: it appears whole or not at all.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, text

COLUMNS_SPEC = {
    'payer': 'id name payer_code phone',
    'provider': 'id npi first_name last_name credentials specialty',
    'location': 'id name address_line1 city state postal_code phone timezone',
    'provider_availability': 'id provider_id location_id weekday start_time end_time slot_minutes',
    'user': 'id email password_hash role first_name last_name is_active mfa_exempt failed_sign_ins '
            'created_at password_changed_at last_sign_in_at?',
    'plan_policy': 'id min_balance min_installment max_months down_payment_percent new_charges_rule '
                   'terms_version terms_text updated_at',
    'saved_reply': 'id title body updated_at',
    'practice_settings': 'id name logo_path timezone phone from_address address_line1 city state postal_code '
                         'tax_id npi '
                         'statement_cadence_days statement_due_days reminder_ladder holiday_state updated_at',
    'visit_type': 'id name duration_minutes price currency codes patient_bookable new_patients active',
    'schedule_exception': 'id kind day note',
    'statement_run': 'id period started_by_user_id started_at finished_at state accounts_considered '
                     'statements_created skipped_on_hold skipped_not_due errors',
    'guarantor_account': 'id account_number guarantor_first_name guarantor_last_name email? phone? '
                         'address_line1 address_line2 city state postal_code currency paperless status created_at '
                         'first_key last_key phone_key',
    'patient': 'id account_id mrn first_name last_name date_of_birth sex relationship_to_guarantor created_at '
               'first_key last_key',
    'account_access': 'id user_id account_id relationship created_at',
    'coverage': 'id patient_id payer_id plan_name member_id group_number subscriber_name '
                'subscriber_relationship priority effective_from status created_at verified_at',
    'encounter': 'id account_id patient_id provider_id location_id date_of_service visit_type',
    'charge': 'id encounter_id account_id patient_id code code_system modifier description units amount '
              'currency date_of_service created_at',
    'claim': 'id account_id patient_id encounter_id coverage_id claim_number status billed_amount '
             'allowed_amount paid_amount patient_responsibility submitted_at adjudicated_at?',
    'claim_status_event': 'id claim_id status at code',
    'claim_adjustment': 'id claim_id charge_id group_code carc_code rarc_code amount',
    'saved_payment_method': 'id account_id user_id? gateway gateway_customer_id gateway_method_id kind brand '
                            'last4 exp_month? exp_year? bank_name is_default created_at',
    'payment': 'id account_id gateway_intent_id? amount currency method status receipt_number reference '
               'payer_user_id? recorded_by_user_id? saved_method_id? received_at settled_at?',
    'payment_allocation': 'id payment_id charge_id amount',
    'ledger_entry': 'id account_id patient_id? charge_id? kind amount currency effective_date posted_at '
                    'external_ref payment_id? claim_id? carc_code? memo',
    'payment_plan': 'id account_id policy_id total_amount down_payment installment_amount months day_of_month '
                    'currency status autopay_method_id? signed_name signed_at signed_ip terms_version '
                    'created_by_user_id? created_at',
    'plan_installment': 'id plan_id seq due_date amount status attempts last_attempt_at? next_retry_on? '
                        'payment_id?',
    'statement': 'id account_id run_id period statement_date due_date issued_at first_entry_id last_entry_id '
                 'previous_balance new_charges refunds insurance_payments adjustments patient_payments '
                 'new_balance waiting_for_insurance amount_due currency quick_pay_code paid_at? delivery',
    'appointment': 'id account_id patient_id provider_id location_id starts_at duration_minutes visit_type '
                   'status created_at visit_type_id?',
    'appointment_granule': 'id provider_id granule_start appointment_id',
    'message_thread': 'id account_id subject category status charge_id? created_by_user_id? assigned_to_user_id? '
                      'expected_reply_by? created_at last_message_at',
    'message': 'id thread_id author_user_id? author_role body internal_note created_at',
    'thread_read': 'id thread_id user_id last_read_message_id updated_at',
    'audit_event': 'id at actor_role action entity_type entity_id outcome source_ip detail',
}
# parent tables first, so foreign keys hold at every step
TABLE_ORDER = tuple(COLUMNS_SPEC)


def _parse(spec: str) -> tuple[tuple[str, ...], frozenset[str]]:
    names = spec.split()
    return tuple(name.rstrip('?') for name in names), frozenset(n.rstrip('?') for n in names if n.endswith('?'))


COLUMNS = {table: _parse(spec) for table, spec in COLUMNS_SPEC.items()}
BIG_TABLES = ('coverage', 'encounter', 'charge', 'claim', 'claim_status_event', 'claim_adjustment', 'payment',
              'payment_allocation', 'ledger_entry', 'appointment', 'plan_installment', 'patient')


class BulkWriter:
    """Writes batches of rows on one connection inside the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == 'sqlite'
        self.null: Any = 0 if self.sqlite else None
        self.rows_written: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self._dropped: list[str] = []  # DDL that rebuilds what fast mode dropped
        self._statements = {table: self._insert_sql(table) for table in TABLE_ORDER}

    def _insert_sql(self, table: str) -> str:
        names, nullable = COLUMNS[table]
        quoted = ', '.join(f'"{name}"' for name in names)
        if not self.sqlite:
            return f'COPY "{table}" ({quoted}) FROM STDIN'
        marks = ', '.join('NULLIF(?, 0)' if name in nullable else '?' for name in names)
        return f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'

    def write(self, table: str, rows: list[tuple]) -> None:
        if not rows:
            return
        raw = self.connection.connection.driver_connection
        if self.sqlite:
            raw.executemany(self._statements[table], rows)
        else:
            with raw.cursor() as cursor, cursor.copy(self._statements[table]) as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
        self.rows_written[table] += len(rows)

    def write_batch(self, batch: dict[str, list[tuple]]) -> None:
        """Write every table's rows, parents first; the batch is left empty."""
        for table in TABLE_ORDER:
            rows = batch.pop(table, None)
            if rows:
                self.write(table, rows)

    # fast mode: drop secondary structures before the load, rebuild them after it

    def drop_secondary(self, tables: Iterable[str] = BIG_TABLES) -> None:
        """Drop the secondary indexes (SQLite), or the foreign keys, unique constraints and secondary
        indexes (PostgreSQL) of these tables; rebuild_secondary() puts them back, exactly as they were."""
        tables = list(tables)
        if self.sqlite:
            self._drop_sqlite(tables)
        else:
            self._drop_postgres(tables)

    def _drop_sqlite(self, tables: list[str]) -> None:
        marks = ', '.join(f"'{table}'" for table in tables)
        found = self.connection.exec_driver_sql(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({marks}) ORDER BY name").all()
        for name, sql in found:
            self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
            self._dropped.append(sql)

    def _drop_postgres(self, tables: list[str]) -> None:
        # per-row foreign-key triggers and index updates make COPY several times slower than
        # checking and building them once at the end
        constraints = self.connection.execute(text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype "
            "FROM pg_constraint c WHERE c.contype IN ('f', 'u') AND c.conrelid::regclass::text = ANY(:names) "
            "ORDER BY c.contype DESC, c.conname"),
            {'names': [f'"{t}"' if t == 'user' else t for t in tables]}).all()
        found = self.connection.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ANY(:names) AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass) "
            "ORDER BY i.indexname"), {'names': tables}).all()
        # rebuilt in this order: indexes, unique constraints ('u' sorts before 'f' descending), foreign keys
        for table, name, _definition, _kind in constraints:
            self.connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, index_definition in found:
            self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
            self._dropped.append(index_definition)
        for table, name, definition, _kind in constraints:
            self._dropped.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def rebuild_secondary(self, on_step: Callable[[int, int], None] | None = None) -> None:
        """Re-create what drop_secondary() dropped; on_step(done, total) after each statement."""
        if not self.sqlite and self._dropped:
            self.connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '512MB'")
        total = len(self._dropped)
        for done, statement in enumerate(self._dropped, start=1):
            self.connection.exec_driver_sql(statement)
            if on_step:
                on_step(done, total)
        self._dropped.clear()

    def advance_sequences(self) -> None:
        """After explicit ids, make PostgreSQL's serial sequences continue after the largest id."""
        if self.sqlite:
            return  # INTEGER PRIMARY KEY continues after max(rowid) by itself
        for table, count in self.rows_written.items():
            if count:
                self.connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM \"{table}\"), false)")
