"""An admin's day at 1280 (issue 19): the admin (made on the command line) enrols TOTP, invites a clerk,
the clerk opens the emailed link, chooses a password and enrols TOTP, the admin deactivates the clerk (whose
open page ends), and the audit log shows all of it. Screenshots of the admin pages at 1280 and 390; axe on
each page."""
from __future__ import annotations

import re
import subprocess
import sys

import pyotp
import pytest

from tests.browser.test_journeys import LAPTOP, PHONE, assert_no_page_errors, open_sign_in, sign_in, wait_connected
from tests.support.axe import assert_accessible
from tests.support.servers import ROOT

pytestmark = pytest.mark.browser
ADMIN, ADMIN_PASSWORD = 'owner@example.com', 'granite-pelican-lantern-81'
CLERK, CLERK_PASSWORD = 'casey.clerk@example.com', 'harbor-violet-candle-73'
LINK = '''
import json
from sqlmodel import select
from portal.config import get_settings
from portal.db import init_engine, read_session
from portal.models import Notification
from portal.services import send_time
init_engine(get_settings().database_url)
with read_session() as session:
    note = session.exec(select(Notification).where(Notification.recipient == {email!r})).one()
print(send_time.complete(note.template, note.dedupe_key, json.loads(note.context_json))['link'])
'''


def _cli(server, *args: str) -> str:  # noqa: ANN001
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env={**server.env, 'PYTHONPATH': str(ROOT)},
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip()


def _enrol(page) -> None:  # noqa: ANN001
    page.get_by_text('Set up two-step sign-in').wait_for(state='visible')
    key = page.locator('.font-mono').inner_text().replace(' ', '')
    page.get_by_label('6-digit code').fill(pyotp.TOTP(key).now())
    page.get_by_role('button', name='Turn on two-step sign-in').click()
    page.wait_for_url(re.compile(r'/staff$'))
    wait_connected(page)


def test_admin_invites_a_clerk_who_signs_up_then_is_deactivated(new_page, portal_server, screenshots) -> None:  # noqa: ANN001
    _cli(portal_server, '-m', 'portal', 'create-user', '--email', ADMIN, '--role', 'admin', '--first-name', 'Olive',
         '--password', ADMIN_PASSWORD)
    admin = new_page(*LAPTOP)
    open_sign_in(admin)
    sign_in(admin, ADMIN, ADMIN_PASSWORD)
    _enrol(admin)
    admin.get_by_role('navigation', name='Main').get_by_role('link', name='Users').click()
    admin.wait_for_url(re.compile(r'/staff/admin/users$'))
    wait_connected(admin)
    admin.get_by_label('Email').fill(CLERK)
    admin.get_by_label('First name').fill('Casey')
    admin.get_by_role('button', name='Send invitation').click()
    admin.get_by_text(f'Invitation sent to {CLERK}.').wait_for(state='visible')
    admin.get_by_role('list', name='Invitations').get_by_text(CLERK).wait_for(state='visible')
    admin.screenshot(path=screenshots / 'admin-users-1280.png', full_page=True)
    assert_accessible(admin, 'admin users at 1280x800')

    link = _cli(portal_server, '-c', LINK.format(email=CLERK))
    clerk = new_page(*LAPTOP)
    clerk.goto(link.replace(link.split('/invite')[0], ''))
    wait_connected(clerk)
    clerk.get_by_text('Join the billing office').wait_for(state='visible')
    assert_accessible(clerk, 'invitation at 1280x800')
    clerk.get_by_label('Password', exact=True).fill(CLERK_PASSWORD)
    clerk.get_by_label('Confirm password').fill(CLERK_PASSWORD)
    clerk.get_by_role('button', name='Create my sign-in').click()
    _enrol(clerk)
    clerk.get_by_text('Collections dashboard').wait_for(state='visible')
    assert clerk.get_by_role('navigation', name='Main').get_by_role('link', name='Users').count() == 0

    admin.reload()
    wait_connected(admin)
    row = admin.get_by_role('listitem').filter(has_text=CLERK)
    row.get_by_text('Two-step on').wait_for(state='visible')
    row.get_by_role('button', name=f'Deactivate: {CLERK}').click()
    admin.get_by_role('dialog').get_by_role('button', name='Deactivate').click()
    admin.get_by_text('User deactivated.').wait_for(state='visible')
    clerk.wait_for_url(re.compile(r'/\?reason=signed-out$'))  # the clerk's open page ends by itself
    clerk.get_by_text('You are signed out.').wait_for(state='visible')

    admin.get_by_role('navigation', name='Main').get_by_role('link', name='Audit log').click()
    admin.wait_for_url(re.compile(r'/staff/admin/audit$'))
    wait_connected(admin)
    table = admin.get_by_role('table')
    for action in ('staff_invited', 'staff_invite_accepted', 'mfa_enrolled', 'user_deactivated', 'sign_in'):
        table.get_by_text(action, exact=True).first.wait_for(state='visible')
    admin.screenshot(path=screenshots / 'admin-audit-1280.png', full_page=True)
    assert_accessible(admin, 'admin audit log at 1280x800')
    admin.get_by_role('navigation', name='Main').get_by_role('link', name='Practice settings').click()
    admin.wait_for_url(re.compile(r'/staff/admin/settings$'))
    wait_connected(admin)
    admin.get_by_label('Practice name').wait_for(state='visible')
    admin.screenshot(path=screenshots / 'admin-settings-1280.png', full_page=True)
    assert_accessible(admin, 'admin settings at 1280x800')
    assert_no_page_errors(admin)

    phone = new_page(*PHONE)  # the same pages on a phone
    open_sign_in(phone)
    sign_in(phone, ADMIN, ADMIN_PASSWORD)
    phone.get_by_text('Two-step sign-in').first.wait_for(state='visible')
    return_code = pyotp.TOTP(_admin_secret(portal_server)).now()
    phone.get_by_label('6-digit code').fill(return_code)
    phone.get_by_role('button', name='Continue').click()
    phone.wait_for_url(re.compile(r'/staff$'))
    for path, name in (('/staff/admin/users', 'users'), ('/staff/admin/settings', 'settings'),
                       ('/staff/admin/audit', 'audit')):
        phone.goto(path)
        wait_connected(phone)
        phone.get_by_role('heading', level=1).wait_for(state='visible')
        phone.wait_for_timeout(300)
        phone.screenshot(path=screenshots / f'admin-{name}-390.png', full_page=True)
        width = phone.evaluate('() => document.documentElement.scrollWidth')
        assert width <= 390, f'{path} is {width} px wide at 390'


def _admin_secret(server) -> str:  # noqa: ANN001
    script = ('from portal.config import get_settings\n'
              'from portal.db import init_engine, read_session\n'
              'from portal.models import User\n'
              'from sqlmodel import select\n'
              'init_engine(get_settings().database_url)\n'
              'with read_session() as s:\n'
              f'    print(s.exec(select(User.totp_secret).where(User.email == {ADMIN!r})).one())')
    return _cli(server, '-c', script)
