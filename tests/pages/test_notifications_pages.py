"""Pages of the notifications work: the profile's Notifications card, staff's jobs and outbox pages,
and the inbound-SMS webhook."""
from __future__ import annotations

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.models import JobRun, Notification, NotificationPreference
from portal.models import User as UserRow
from portal.notify.outbox import enqueue
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


@pytest.fixture
def texting_on(monkeypatch: pytest.MonkeyPatch, page_database: str) -> None:
    """Request it before `user`, so main.py starts with the test SMS provider and a webhook secret."""
    monkeypatch.setenv('PORTAL_SMS_PROVIDER', 'test')
    monkeypatch.setenv('PORTAL_SMS_WEBHOOK_SECRET', 'shared-secret-for-tests')
    reload_settings()


def _user(email: str) -> UserRow:
    with read_session() as session:
        return session.exec(select(UserRow).where(UserRow.email == email)).one()


def _prefs(user_id: int) -> dict[tuple[str, str], NotificationPreference]:
    with read_session() as session:
        rows = session.exec(select(NotificationPreference).where(NotificationPreference.user_id == user_id)).all()
    return {(row.kind, row.channel): row for row in rows}


async def _open_card(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/profile')
    await user.should_see('Payment reminders')


async def test_patient_turns_off_reminder_emails(user: User) -> None:
    await _open_card(user)
    await user.should_see('Text messages are not offered by this practice yet.')
    user.find(marker='pref-reminder-email').click()
    user.find(marker='save-preferences').click()
    await user.should_see('Your notification choices were saved.')
    prefs = _prefs(_user(DEMO_PATIENT).id)
    assert prefs[('reminder', 'email')].enabled is False
    assert prefs[('statement', 'email')].enabled is True and prefs[('reminder', 'sms')].enabled is False


async def test_texts_need_a_valid_mobile_number(texting_on: None, user: User) -> None:
    await _open_card(user)
    await user.should_see('Mobile number for texts')
    user.find(marker='pref-reminder-sms').click()
    user.find(marker='save-preferences').click()
    await user.should_see('Enter a mobile number to get text messages.')
    user.find(marker='mobile-phone').type('555-0100')
    user.find(marker='save-preferences').click()
    await user.should_see('Enter a mobile number such as (555) 201-3344')
    user.find(marker='mobile-phone').clear().type('(555) 201-3344')
    user.find(marker='save-preferences').click()
    await user.should_see('Your notification choices were saved.')
    patient = _user(DEMO_PATIENT)
    assert patient.mobile_phone == '+15552013344'
    assert _prefs(patient.id)[('reminder', 'sms')].enabled is True


async def test_stop_by_text_shows_on_the_card(texting_on: None, user: User) -> None:
    patient = _user(DEMO_PATIENT)
    with write_session() as session:
        row = session.get(UserRow, patient.id)
        row.mobile_phone = '+15552013344'
        session.add(NotificationPreference(user_id=patient.id, kind='reminder', channel='sms', enabled=True))
    headers = {'X-Settle-Webhook-Secret': 'shared-secret-for-tests'}
    refused = await user.http_client.post('/webhooks/sms', data={'From': '+15552013344', 'Body': 'STOP'})
    assert refused.status_code == 403
    wrong = await user.http_client.post('/webhooks/sms', data={'From': '+15552013344', 'Body': 'STOP'},
                                        headers={'X-Settle-Webhook-Secret': 'guess'})
    assert wrong.status_code == 403
    assert (await user.http_client.post('/webhooks/sms', data={'Body': 'STOP'}, headers=headers)).status_code == 400
    response = await user.http_client.post('/webhooks/sms', data={'From': '+15552013344', 'Body': 'STOP'},
                                           headers=headers)
    assert response.status_code == 200 and 'no more texts' in response.text
    assert _prefs(patient.id)[('reminder', 'sms')].stopped_at is not None
    await _open_card(user)
    await user.should_see('You replied STOP')
    started = await user.http_client.post('/webhooks/sms?secret=shared-secret-for-tests',
                                          json={'from': '+15552013344', 'body': 'START'})
    assert started.status_code == 200 and 'texts are back on' in started.text
    assert _prefs(patient.id)[('reminder', 'sms')].stopped_at is None


async def test_staff_see_jobs_without_a_run_button(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/jobs')
    await user.should_see('Scheduled jobs')
    await user.should_see('Scheduler: off.')
    for job_id in ('housekeeping', 'deliver_notifications', 'reminders'):
        await user.should_see(marker=f'job-{job_id}')
    await user.should_see('Daily at 08:30')
    await user.should_not_see(marker='run-reminders')


async def test_admin_runs_a_job_now(user: User) -> None:
    with write_session() as session:
        staff = session.exec(select(UserRow).where(UserRow.email == DEMO_STAFF)).one()
        staff.role = 'admin'
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/jobs')
    await user.should_see(marker='run-reminders')
    user.find(marker='run-reminders').click()
    for _ in range(100):
        with read_session() as session:
            run = session.exec(select(JobRun).where(JobRun.job == 'reminders')).first()
        if run is not None and run.finished_at is not None:
            break
        await asyncio.sleep(0.05)
    assert run is not None and run.outcome == 'ok'
    await user.should_see('reminders ran')


async def test_staff_outbox_filters_by_status_and_masks_recipients(user: User) -> None:
    with write_session() as session:
        for number, status in enumerate(('pending', 'pending', 'sent', 'suppressed')):
            row = enqueue(session, channel='email', template='statement_ready', recipient=f'maria{number}@example.com',
                          dedupe_key=f'page-test-{number}', context={'first_name': 'Maria', 'link': 'http://x/'})
            row.status = status
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/notifications')
    await user.should_see('Email is not configured (PORTAL_SMTP_URL)')
    await user.should_see('Pending (2)')
    table = user.find(kind=ui.table).elements.pop()
    assert {row['recipient'] for row in table.rows} >= {'m•••@example.com'}
    assert not any('maria0@' in str(row) for row in table.rows)
    await user.open('/staff/notifications?status=suppressed')
    table = user.find(kind=ui.table).elements.pop()
    assert [row['status'] for row in table.rows] == ['suppressed']
    with read_session() as session:
        assert session.exec(select(Notification)).all()


async def test_patients_cannot_open_the_staff_pages(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    for path in ('/staff/jobs', '/staff/notifications'):
        assert (await user.http_client.get(path, follow_redirects=False)).status_code == 404
