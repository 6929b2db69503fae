"""Practice settings by admins: every field checked (a clear message per field, nothing stored when any is
wrong), each change audited old -> new, the practice cache refreshed; and the audit log's filters and CSV."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlmodel import select

from portal import audit
from portal.auth.permissions import Actor, Refused
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import ValidationFailed
from portal.models import AuditEvent, PracticeSettings
from portal.services import audit_log, practice, practice_admin
from portal.services.audit_log import AuditFilter
from tests.factories import make_user

GOOD = {'name': 'Lakeside Clinic', 'state': 'IL', 'postal_code': '62704', 'phone': '(555) 010-0100',
        'tax_id': '12-3456789', 'npi': '1234567893', 'timezone': 'America/Denver', 'statement_cadence_days': '30',
        'statement_due_days': '21', 'reminder_ladder': '15, 45,90', 'quiet_hours_start': '20',
        'quiet_hours_end': '9', 'hold_pending_insurance': False, 'reply_business_days': '3'}


@pytest.fixture
def admin(db: str) -> Actor:
    practice.seed_from_environment()
    return Actor(user_id=make_user(role='admin').id, role='admin')


def test_good_values_are_stored_audited_and_cached(admin: Actor) -> None:
    changed = practice_admin.update_practice_settings(actor=admin, values=GOOD)
    assert set(changed) == set(GOOD) - {'statement_due_days'}  # 21 already
    with read_session() as session:
        row = session.exec(select(PracticeSettings)).one()
        events = session.exec(select(AuditEvent).where(AuditEvent.action == 'practice_setting_changed')).all()
    assert (row.reminder_ladder, row.quiet_hours_start, row.timezone) == ('15,45,90', 20, 'America/Denver')
    assert {event.entity_id for event in events} == set(changed)
    assert 'reminder_ladder: 30,60,90 -> 15,45,90' in {event.detail for event in events}
    assert practice.cached_practice().timezone == 'America/Denver'
    assert practice_admin.update_practice_settings(actor=admin, values=GOOD) == ()  # nothing new, nothing audited


@pytest.mark.parametrize(('name', 'value'), [
    ('statement_cadence_days', '0'), ('statement_cadence_days', 'x'), ('statement_due_days', '91'),
    ('timezone', 'Mars/Olympus'), ('timezone', 'CST'), ('reminder_ladder', '60,30'), ('reminder_ladder', '0,30'),
    ('reminder_ladder', ''), ('npi', '1234567890'), ('npi', '12345'), ('tax_id', '123456789'), ('state', 'Illinois'),
    ('postal_code', '6270'), ('phone', '12'), ('name', '  '), ('reply_business_days', '0'), ('quiet_hours_start', '24'),
    ('hold_pending_insurance', 'yes'), ('cancel_cutoff_hours', '-1'), ('cancel_cutoff_hours', '169'),
    ('holiday_state', 'ZZ'), ('holiday_state', 'Illinois'), ('adjustment_approval_limit', '4,60'),
    ('adjustment_approval_limit', '0'), ('adjustment_approval_limit', '-5'),
])
def test_each_bad_value_is_refused_with_its_own_message(admin: Actor, name: str, value: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        practice_admin.update_practice_settings(actor=admin, values={**GOOD, name: value})
    assert set(refused.value.field_errors) == {name}
    with read_session() as session:
        assert session.exec(select(PracticeSettings.name)).one() != 'Lakeside Clinic'  # nothing stored


def test_quiet_hours_must_run_overnight(admin: Actor) -> None:
    with pytest.raises(ValidationFailed) as refused:
        practice_admin.update_practice_settings(actor=admin, values={'quiet_hours_start': '8', 'quiet_hours_end': '21'})
    assert 'overnight' in refused.value.field_errors['quiet_hours_end']


def test_staff_may_not_change_settings(db: str) -> None:
    clerk = Actor(user_id=make_user(role='staff').id, role='staff')
    with pytest.raises(Refused):
        practice_admin.update_practice_settings(actor=clerk, values={'name': 'Mine now'})


def test_audit_log_filters_by_who_action_account_and_day(admin: Actor) -> None:
    from tests.factories import make_account
    account, _patient = make_account()
    other = make_user(email='someone@example.com', role='staff')
    with write_session() as session:
        audit.record(session, action='view_account', actor_user_id=other.id, actor_role='staff',
                     account_id=account.id, detail='=HYPERLINK("x")')
        old = audit.record(session, action='view_account', actor_user_id=other.id, actor_role='staff')
        old.at = utcnow() - timedelta(days=10)
    with read_session() as session:
        by_who = audit_log.audit_page(session, actor=admin, where=AuditFilter(who='SOMEONE@'))
        by_account = audit_log.audit_page(session, actor=admin,
                                          where=AuditFilter(account_number=account.account_number.lower()))
        recent = audit_log.audit_page(session, actor=admin, where=AuditFilter(
            action='view_account', date_from=practice.practice_today(session) - timedelta(days=2)))
    assert by_who.total == 2 and {row.who for row in by_who.rows} == {'someone@example.com'}
    assert by_account.total == 1 and by_account.rows[0].account_number == account.account_number
    assert recent.total == 1
    with write_session() as session:
        text = audit_log.export_audit_csv(session, actor=admin, where=AuditFilter(who='someone@'))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == 'time (UTC)' and len(rows) == 3
    assert "'=HYPERLINK(\"x\")" in [row[-1] for row in rows]  # a formula cell is escaped
    with read_session() as session:
        exported = session.exec(select(AuditEvent).where(AuditEvent.action == 'audit_log_exported')).one()
    assert exported.actor_user_id == admin.user_id and exported.detail.startswith('2 rows')


def test_reversed_dates_are_refused(admin: Actor) -> None:
    today = utcnow().date()
    with read_session() as session, pytest.raises(ValidationFailed):
        audit_log.audit_page(session, actor=admin, where=AuditFilter(date_from=today, date_to=today - timedelta(1)))


def test_the_appointment_cutoff_and_holiday_state_are_stored_and_read(admin: Actor) -> None:
    practice_admin.update_practice_settings(actor=admin, values={**GOOD, 'cancel_cutoff_hours': '48',
                                                                 'holiday_state': 'tx'})
    facts = practice.cached_practice()
    assert (facts.cancel_cutoff_hours, facts.holiday_state) == (48, 'TX')


def test_the_adjustment_approval_limit_is_set_in_dollars_and_stored_in_cents(admin: Actor) -> None:
    from portal.services.desk.adjustments import approval_limit

    practice_admin.update_practice_settings(actor=admin, values={'adjustment_approval_limit': '$250.50'})
    with read_session() as session:
        assert approval_limit(session) == 25_050
        view = practice_admin.practice_settings(session, actor=admin)
    assert view.values['adjustment_approval_limit'] == '250.50'  # what the form shows, read back unchanged
