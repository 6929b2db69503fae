"""Deactivation reaches every process (issue 19): a clerk's staff page open on one portal process ends by
itself when a different process deactivates them. Without the `user:{id}` topic the page would notice only
at its 20 s check once the 30 s cached answer expired (about 40 s), past this wait's 15 s limit."""
from __future__ import annotations

import re

import pytest

from tests.browser.test_admin_journey import _cli, _enrol
from tests.browser.test_journeys import LAPTOP, sign_in, wait_connected
from tests.support.servers import start_portal

pytestmark = pytest.mark.browser
CLERK, PASSWORD = 'two.process@example.com', 'meadow-copper-violin-64'
DEACTIVATE = '''
from sqlmodel import select
from portal.auth.permissions import Actor
from portal.config import get_settings
from portal.db import init_engine, write_session
from portal.models import User
from portal.services.identity import staff
init_engine(get_settings().database_url)
with write_session() as session:
    admin = session.exec(select(User).where(User.role == 'admin', User.is_active)).first()
    clerk = session.exec(select(User).where(User.email == {email!r})).one()
    staff.deactivate_user(session, actor=Actor(user_id=admin.id, role='admin'), user_id=clerk.id)
'''


def test_a_clerk_page_on_another_process_ends_when_deactivated(new_page, portal_server, tmp_path) -> None:  # noqa: ANN001
    _cli(portal_server, '-m', 'portal', 'create-user', '--email', CLERK, '--role', 'staff', '--password', PASSWORD)
    _cli(portal_server, '-m', 'portal', 'create-user', '--email', 'second.admin@example.com', '--role', 'admin',
         '--password', PASSWORD)
    other = start_portal(tmp_path / 'second', PORTAL_DATABASE_URL=portal_server.env['PORTAL_DATABASE_URL'],
                         PORTAL_DEMO_SEED='false', PORTAL_PAYMENTS='demo')
    try:
        page = new_page(*LAPTOP)
        page.goto(other.url('/'))  # the context's base URL is the first process: this page is on the second
        wait_connected(page)
        page.get_by_label('Email').wait_for(state='visible')
        sign_in(page, CLERK, PASSWORD)
        _enrol(page)
        assert page.url.startswith(other.base_url)
        page.get_by_text('Collections dashboard').wait_for(state='visible')
        _cli(portal_server, '-c', DEACTIVATE.format(email=CLERK))  # a third process writes; `other` serves the page
        page.wait_for_url(re.compile(r'/\?reason=signed-out$'))
        page.get_by_text('You are signed out.').wait_for(state='visible')
    finally:
        other.stop()
