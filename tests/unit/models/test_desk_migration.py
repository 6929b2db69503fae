"""Migration 0021_desk gives accounts and patients already stored their search keys (accents folded, phone
digits), and goes down and up again."""
from __future__ import annotations

from alembic import command
from sqlalchemy import text

from portal.db import alembic_config, read_session, write_session


def test_existing_rows_get_their_search_keys(db: str) -> None:
    command.downgrade(alembic_config(db), '0020_dash')
    with write_session() as session:
        connection = session.connection()
        account_id = connection.execute(text(
            "INSERT INTO guarantor_account (account_number, guarantor_first_name, guarantor_last_name, phone, "
            "address_line1, address_line2, city, state, postal_code, currency, paperless, status, created_at) "
            "VALUES ('A1', 'Sofía', 'Álvarez-Núñez', '(512) 555-0147', '', '', '', '', '', 'USD', false, 'active', "
            "'2026-01-01') RETURNING id")).scalar_one()
        connection.execute(text(
            "INSERT INTO patient (account_id, mrn, first_name, last_name, date_of_birth, sex, "
            "relationship_to_guarantor, created_at) VALUES (:a, 'M1', 'Mateo', 'ÁLVAREZ', '2016-01-01', 'M', "
            "'child', '2026-01-01')"), {'a': account_id})
    command.upgrade(alembic_config(db), 'head')
    with read_session() as session:
        connection = session.connection()
        assert connection.execute(text('SELECT first_key, last_key, phone_key FROM guarantor_account')).one() == \
            ('sofia', 'alvarez nunez', '5125550147')
        assert connection.execute(text('SELECT first_key, last_key FROM patient')).one() == ('mateo', 'alvarez')
