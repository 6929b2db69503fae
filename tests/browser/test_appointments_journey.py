"""The demo patient on a phone books a visit (visit type, patient, a day, a time, confirm), downloads its
calendar file and checks the local time in it, then moves the visit; staff see the day's schedule on a
laptop. Screenshots at 390 and 1280 land in test-artifacts/screenshots/; axe checks each page."""
from __future__ import annotations

import re
import sqlite3

import pytest
from icalendar import Calendar

from tests.browser.test_journeys import (
    LAPTOP,
    PATIENT,
    PHONE,
    STAFF,
    assert_no_page_errors,
    open_sign_in,
    sign_in,
    wait_connected,
)
from tests.browser.test_statements_journey import assert_no_sideways_scroll
from tests.support.axe import assert_accessible

pytestmark = pytest.mark.browser


def _first_time(page) -> str:  # noqa: ANN001
    """Press the first open time; return its label ('9:15 AM CST')."""
    button = page.locator('button', has_text=re.compile(r'^\s*\d{1,2}:\d\d [AP]M C[SD]T\s*$')).first
    button.wait_for(state='visible')
    label = button.inner_text().strip()
    button.click()
    page.get_by_test_id('confirm-when').wait_for(state='visible')
    return label


def test_patient_books_downloads_the_calendar_file_and_reschedules_on_a_phone(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*PHONE)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').first.wait_for(state='visible')
    page.goto('/appointments')
    wait_connected(page)
    page.get_by_text('Upcoming').wait_for(state='visible')
    assert_no_sideways_scroll(page, 'the appointments list at 390 px')
    page.screenshot(path=screenshots / 'appointments-390.png', full_page=True)
    assert_accessible(page, 'appointments at 390')

    page.get_by_role('button', name='Book a visit').click()
    page.wait_for_url('**/appointments/book')
    wait_connected(page)
    page.get_by_role('radio', name=re.compile('^Follow-up visit')).click()
    page.get_by_role('radio', name=re.compile('^Maria Alvarez')).click()
    label = _first_time(page)
    assert page.get_by_test_id('confirm-when').inner_text().endswith(label)
    assert_no_sideways_scroll(page, 'the booking page at 390 px')
    page.screenshot(path=screenshots / 'appointments-book-390.png', full_page=True)
    assert_accessible(page, 'booking at 390')
    page.get_by_role('button', name='Book this visit').click()
    page.wait_for_url('**/appointments?done=booked')
    page.get_by_test_id('done').wait_for(state='visible')

    booked = page.locator('[data-testid^="when-"]', has_text=label.split(' ')[0]).first
    visit_id = booked.get_attribute('data-testid').removeprefix('when-')
    with page.expect_download() as download:
        page.get_by_test_id(f'ics-{visit_id}').click()
    event = Calendar.from_ical(download.value.path().read_bytes()).walk('VEVENT')[0]
    local = event.decoded('dtstart')
    assert local.strftime('%I:%M %p').lstrip('0') + f' {local.tzname()}' == label
    assert event['SEQUENCE'] == 0 and str(event['STATUS']) == 'CONFIRMED'

    page.get_by_role('button', name='Reschedule').first.click()
    page.wait_for_url('**/appointments/book?reschedule=*')
    wait_connected(page)
    page.get_by_text('Now: ').wait_for(state='visible')
    page.get_by_role('button', name='Later dates').click()
    _first_time(page)
    page.get_by_role('button', name='Move my visit').click()
    page.wait_for_url('**/appointments?done=moved')
    page.get_by_test_id('done').wait_for(state='visible')
    page.screenshot(path=screenshots / 'appointments-moved-390.png', full_page=True)
    assert_accessible(page, 'appointments after a move at 390')
    assert_no_page_errors(page)


def test_appointment_pages_and_the_staff_schedule_on_a_laptop(new_page, screenshots) -> None:  # noqa: ANN001
    page = new_page(*LAPTOP)
    open_sign_in(page)
    sign_in(page, PATIENT)
    page.get_by_test_id('amount-due').first.wait_for(state='visible')
    page.goto('/appointments/book')
    wait_connected(page)
    page.get_by_role('radio', name=re.compile('^Office visit')).click()
    page.get_by_role('radio', name=re.compile('^Sofía Alvarez')).click()
    _first_time(page)
    page.screenshot(path=screenshots / 'appointments-book-1280.png', full_page=True)
    assert_accessible(page, 'booking at 1280')
    assert_no_page_errors(page)

    staff = new_page(*LAPTOP)
    open_sign_in(staff)
    sign_in(staff, STAFF)
    staff.get_by_text('Collections dashboard').wait_for(state='visible')
    staff.goto('/staff/schedule?view=week')
    wait_connected(staff)
    staff.get_by_role('heading', name=re.compile('^Change requests')).wait_for(state='visible')
    staff.screenshot(path=screenshots / 'staff-schedule-1280.png', full_page=True)
    assert_accessible(staff, 'staff schedule at 1280')
    assert_no_page_errors(staff)


def test_schedule_set_up_for_an_admin_on_a_laptop_and_a_phone(new_page, screenshots, portal_server) -> None:  # noqa: ANN001
    database = portal_server.env['PORTAL_DATABASE_URL'].removeprefix('sqlite:///')

    def set_role(role: str) -> None:
        with sqlite3.connect(database) as connection:
            connection.execute('UPDATE user SET role = ? WHERE email = ?', (role, STAFF))

    set_role('admin')
    try:
        for size in (LAPTOP, PHONE):
            page = new_page(*size)
            open_sign_in(page)
            sign_in(page, STAFF)
            page.get_by_text('Collections dashboard').wait_for(state='visible')
            page.goto('/staff/admin/schedule')
            wait_connected(page)
            page.get_by_role('heading', name='Weekly hours').wait_for(state='visible')
            page.get_by_text('Add to visit types').click()
            page.get_by_label('Name in plain words').wait_for(state='visible')
            if size == PHONE:
                assert_no_sideways_scroll(page, 'schedule set-up at 390 px')
            page.screenshot(path=screenshots / f'admin-schedule-{size[0]}.png', full_page=True)
            assert_accessible(page, f'schedule set-up at {size[0]}')
            assert_no_page_errors(page)
    finally:
        set_role('staff')
