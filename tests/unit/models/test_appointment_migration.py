"""Migration 0017_appt on SQLite and PostgreSQL: visits booked before it hold their time (granules are
written for them), so a booking made after the upgrade cannot overlap them even in a race."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text

from portal.db import alembic_config, read_session, write_session
from tests.factories import make_account


def test_visits_booked_before_the_upgrade_get_their_granules(db: str) -> None:
    account, [patient] = make_account()  # made at head: the models carry columns of later migrations
    command.downgrade(alembic_config(db), '0016_coverage_verification')
    soon = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=30, second=0, microsecond=0)
    with write_session() as session:
        run = session.connection().execute
        run(text("INSERT INTO provider (id, npi, first_name, last_name, credentials, specialty) "
                 "VALUES (901, '1000000901', 'Ana', 'Diaz', 'MD', '')"))
        run(text("INSERT INTO location (id, name, address_line1, city, state, postal_code, phone) "
                 "VALUES (902, 'Main Street Clinic', '', '', '', '', '')"))
        for visit_id, status, starts_at in ((1, 'booked', soon), (2, 'cancelled', soon + timedelta(hours=2)),
                                            (3, 'booked', soon + timedelta(minutes=15)),  # an old overlap
                                            (4, 'completed', soon - timedelta(days=30))):
            run(text('INSERT INTO appointment (id, account_id, patient_id, provider_id, location_id, starts_at, '
                     'duration_minutes, visit_type, status, created_at) VALUES (:id, :a, :p, 901, 902, :s, 30, '
                     ":t, :st, :s)"), {'id': visit_id, 'a': account.id, 'p': patient.id,
                                       's': starts_at.strftime('%Y-%m-%d %H:%M:%S.000000'), 't': 'Check-up',
                                       'st': status})
    command.upgrade(alembic_config(db), 'head')
    with read_session() as session:
        held = session.connection().execute(text(
            'SELECT appointment_id, COUNT(*) FROM appointment_granule GROUP BY appointment_id ORDER BY 1')).all()
    assert [tuple(row) for row in held] == [(1, 6), (3, 3)]  # the first visit's 30 minutes; the overlap's last 15
