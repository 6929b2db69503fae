"""Admin practice settings (validated, audited old -> new, the cache follows) and the audit log (filters,
paging, CSV export that is itself audited)."""
from __future__ import annotations

import asyncio

import pyotp
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session
from portal.models import AuditEvent, PracticeSettings
from portal.services import practice
from tests.factories import make_user
from tests.pages.test_admin_users import sign_in_as_admin, sign_in_with_code


def _set(user: User, name: str, value: object) -> None:
    element = user.find(marker=f'setting-{name}').elements.pop()
    element.value = value


async def test_settings_refuse_bad_values_and_store_nothing(user: User) -> None:
    await sign_in_as_admin(user)
    await user.open('/staff/admin/settings')
    await user.should_see('Practice settings')
    await user.should_see('Demo (no money moves)')  # payments mode, read-only
    _set(user, 'statement_cadence_days', '0')
    _set(user, 'npi', '1234567890')
    user.find(marker='submit').click()
    await user.should_see('Please fix the settings marked below.')
    cadence = user.find(marker='setting-statement_cadence_days').elements.pop()
    assert cadence.error == 'Enter a whole number from 28 to 92.'
    assert user.find(marker='setting-npi').elements.pop().error.startswith('This NPI does not check out')
    with read_session() as session:
        assert session.exec(select(PracticeSettings.statement_cadence_days)).first() == 28
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == 'practice_setting_changed')).all()


async def test_reversed_quiet_hours_are_refused(user: User) -> None:
    await sign_in_as_admin(user)
    await user.open('/staff/admin/settings')
    _set(user, 'quiet_hours_start', '7')
    _set(user, 'quiet_hours_end', '22')
    user.find(marker='submit').click()
    await user.should_see('Please fix the settings marked below.')
    assert 'overnight' in user.find(marker='setting-quiet_hours_end').elements.pop().error


async def test_a_saved_change_is_audited_old_to_new_and_read_at_once(user: User, monkeypatch) -> None:  # noqa: ANN001
    from portal.jobs.scheduler import SchedulerService
    followed: list[bool] = []
    monkeypatch.setattr(SchedulerService, 'follow_zone', lambda self: followed.append(True) or True)
    admin = await sign_in_as_admin(user)
    await user.open('/staff/admin/settings')
    _set(user, 'name', 'Lakeside Family Clinic')
    _set(user, 'timezone', 'America/New_York')
    _set(user, 'hold_pending_insurance', False)
    user.find(marker='submit').click()
    await user.should_see('Saved 3 change(s).')
    assert practice.cached_practice().name == 'Lakeside Family Clinic'  # this process's cache was refreshed
    assert followed == [True]  # the scheduler here re-registers the daily jobs in the new zone at once
    with read_session() as session:
        row = session.exec(select(PracticeSettings)).first()
        assert (row.timezone, row.hold_pending_insurance) == ('America/New_York', False)
        details = {event.entity_id: event.detail for event in session.exec(
            select(AuditEvent).where(AuditEvent.action == 'practice_setting_changed')).all()}
        actors = set(session.exec(select(AuditEvent.actor_user_id)
                                  .where(AuditEvent.action == 'practice_setting_changed')).all())
    assert details['timezone'] == 'timezone: America/Chicago -> America/New_York'
    assert details['hold_pending_insurance'] == 'hold_pending_insurance: True -> False'
    assert set(details) == {'name', 'timezone', 'hold_pending_insurance'} and actors == {admin.id}


async def test_a_logo_that_is_not_a_picture_is_refused(user: User) -> None:
    from portal.auth.permissions import Actor
    from portal.errors import ValidationFailed
    from portal.services.practice_admin import set_practice_logo
    from tests.support.uploads import pdf, png
    admin = make_user(email='boss@example.com', role='admin')
    actor = Actor(user_id=admin.id, role='admin')
    odd_pdf = pdf().replace(b'%PDF-', b'%PDF ', 1)  # still a PDF to the file service, named as a picture
    for name, data in (("logo.pdf", pdf()), ('logo.png', b'not a picture at all'), ('logo.png', odd_pdf)):
        try:
            set_practice_logo(actor=actor, name=name, data=data)
        except ValidationFailed as refused:
            assert refused.field_errors['logo']
        else:
            raise AssertionError(f'{name} was taken as a logo')
    url = set_practice_logo(actor=actor, name='logo.png', data=png())
    url_again = set_practice_logo(actor=actor, name='logo.png', data=png())
    assert url.startswith('/files/') and url_again != url
    await user.open('/')  # the page test's app is running: the file is served to a signed-in person
    secret = pyotp.random_base32()
    make_user(email='clerk@example.com', role='staff', totp_secret=secret)
    await sign_in_with_code(user, 'clerk@example.com', secret)
    assert (await user.http_client.get(url_again)).status_code == 200
    assert practice.cached_practice().logo_url == url_again
    await user.open('/staff')
    assert any(url_again in element.content for element in user.find(ui.html).elements)  # the frame shows it


async def test_audit_log_filters_pages_and_exports_audited_csv(user: User) -> None:
    admin = await sign_in_as_admin(user)
    await user.open('/staff/admin/audit')
    await user.should_see('Audit log')
    await until(lambda: any(row['who'] == '—' for row in _rows(user)))  # unfiltered: the seed's events too
    user.find(marker='filter-who').type('boss@')
    user.find(marker='filter-submit').click()
    await until(lambda: all(row['who'] == 'boss@example.com' for row in _rows(user)))
    assert {'sign_in', 'mfa_verified'} <= {row['action'] for row in _rows(user)}

    user.find(marker='filter-who').clear()
    user.find(marker='filter-account').type('NO-SUCH-ACCOUNT')
    user.find(marker='filter-submit').click()
    await user.should_see('0 event(s)')

    user.find(marker='export').click()

    def exported() -> AuditEvent | None:
        with read_session() as session:
            return session.exec(select(AuditEvent).where(AuditEvent.action == 'audit_log_exported')).first()

    await until(lambda: exported() is not None)
    assert exported().actor_user_id == admin.id and 'account=NO-SUCH-ACCOUNT' in exported().detail


def _rows(user: User) -> list[dict]:
    try:
        tables = user.find(ui.table).elements
    except AssertionError:  # still loading
        return []
    return [row for table in tables for row in table.rows]


async def until(condition, tries: int = 60) -> None:  # noqa: ANN001
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError('the page did not get there')


async def test_saving_the_form_keeps_what_another_admin_saved_meanwhile(user: User) -> None:
    from portal.auth.permissions import Actor
    from portal.services.practice_admin import update_practice_settings
    await sign_in_as_admin(user)
    await user.open('/staff/admin/settings')
    await user.should_see('Practice settings')
    other = make_user(email='other.admin@example.com', role='admin')
    update_practice_settings(actor=Actor(user_id=other.id, role='admin'), values={'name': 'Lakeside Family Clinic'})
    _set(user, 'statement_due_days', '30')  # this admin changes only the due days, on a form loaded before
    user.find(marker='submit').click()
    await user.should_see('Saved 1 change(s).')
    with read_session() as session:
        row = session.exec(select(PracticeSettings)).first()
    assert (row.name, row.statement_due_days) == ('Lakeside Family Clinic', 30)


async def test_a_mangled_audit_link_opens_the_first_page(user: User) -> None:
    await sign_in_as_admin(user)
    await user.open('/staff/admin/audit?page=abc&start=2026-13-45')  # not a 422 error in JSON
    await user.should_see('page 1 of')


async def test_the_logo_field_tells_a_wrong_kind_of_file_from_a_too_large_one(user: User) -> None:
    await sign_in_as_admin(user)
    await user.open('/staff/admin/settings')
    field = user.find(marker='logo-upload')
    field.trigger('rejected', [{'failedPropValidation': 'accept', 'file': {'name': 'card.pdf', 'size': 787}}])
    await user.should_see('That kind of file cannot be used here. Choose a picture: JPEG, PNG or HEIC.')
    await user.should_not_see('too large')
    field.trigger('rejected', [{'failedPropValidation': 'max-file-size', 'file': {'name': 'big.png'}}])
    await user.should_see('That file is too large. Choose one of at most 10 MB.')
