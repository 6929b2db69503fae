"""Admin users page: invitations round trip through the outbox, role and MFA changes, deactivation that
ends the person's open page at once (their `user:{id}` topic), and staff kept out of admin pages."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pyotp
from nicegui.testing import User
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AuditEvent, Notification
from portal.models import User as UserRow
from tests.factories import STRONG_PASSWORD, make_user
from tests.pages.conftest import DEMO_STAFF, sign_in
from tests.pages.test_role_gating import _secret_on_page

CLERK_PASSWORD = 'harbor-violet-candle-73'


async def sign_in_with_code(user: User, email: str, secret: str, password: str = STRONG_PASSWORD) -> None:
    await sign_in(user, email, password)
    await user.should_see('Two-step sign-in')
    user.find(marker='code').type(pyotp.TOTP(secret).now())
    user.find(marker='submit').click()
    await user.should_see('Collections dashboard')


async def sign_in_as_admin(user: User, email: str = 'boss@example.com') -> UserRow:
    secret = pyotp.random_base32()
    admin = make_user(email=email, role='admin', totp_secret=secret, first_name='Ada', last_name='Admin')
    await sign_in_with_code(user, email, secret)
    return admin


def invite_link(email: str) -> str:
    """The link as the mail sender renders it into the message (the outbox row holds none)."""
    from portal.services import send_time
    with read_session() as session:
        note = session.exec(select(Notification).where(Notification.template == 'staff_invite',
                                                       Notification.recipient == email)).one()
    stored = json.loads(note.context_json)
    assert 'link' not in stored and 'token' not in note.context_json
    return str(send_time.complete(note.template, note.dedupe_key, stored)['link'])


async def test_admin_sees_the_admin_area_and_staff_get_404(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.should_not_see('Audit log')
    for path in ('/staff/admin/users', '/staff/admin/settings', '/staff/admin/audit'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 404, path


async def test_invite_round_trip_from_the_outbox_to_a_signed_in_clerk_with_totp(user: User) -> None:
    await sign_in_as_admin(user)
    await user.should_see('Audit log')  # the admin area in the navigation
    await user.open('/staff/admin/users')
    await user.should_see('Invite a staff member')
    user.find(marker='invite-email').type('casey.clerk@example.com')
    user.find(marker='invite-first').type('Casey')
    user.find(marker='invite-submit').click()
    await user.should_see('Invitation sent to casey.clerk@example.com.')
    await user.should_see('Invitations')  # the list has reloaded (before signing out under it)
    token = parse_qs(urlparse(invite_link('casey.clerk@example.com')).query)['token'][0]

    user.find(marker='sign-out').click()
    await user.should_see('Forgot password?')
    await user.open(f'/invite?token={token}')
    await user.should_see('Join the billing office')
    user.find(marker='password').type(CLERK_PASSWORD)
    user.find(marker='confirm').type(CLERK_PASSWORD)
    user.find(marker='submit').click()
    await user.should_see('Set up two-step sign-in')
    user.find(marker='code').type(pyotp.TOTP(_secret_on_page(user)).now())
    user.find(marker='submit').click()
    await user.should_see('Collections dashboard')
    await user.should_not_see('Audit log')  # staff, not admin

    with read_session() as session:
        clerk = session.exec(select(UserRow).where(UserRow.email == 'casey.clerk@example.com')).one()
        assert clerk.role == 'staff' and clerk.totp_enabled_at is not None
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert {'staff_invited', 'staff_invite_accepted', 'mfa_enrolled'} <= actions

    await user.open(f'/invite?token={token}')  # single use
    await user.should_see('This invitation has expired or was already used.')


async def test_an_invite_to_an_existing_email_is_refused(user: User) -> None:
    await sign_in_as_admin(user)
    await user.open('/staff/admin/users')
    user.find(marker='invite-email').type(DEMO_STAFF)
    user.find(marker='invite-submit').click()
    await user.should_see('Someone already signs in with this email.')


async def test_admin_cannot_deactivate_themselves(user: User) -> None:
    from portal.services.identity import staff
    admin = await sign_in_as_admin(user)
    await user.open('/staff/admin/users')
    await user.should_see('You')
    await user.should_not_see(marker=f'deactivate-{admin.id}')  # no button for oneself
    with write_session() as session:
        try:
            staff.deactivate_user(session, actor=Actor(user_id=admin.id, role='admin'), user_id=admin.id)
        except Exception as refused:  # noqa: BLE001
            assert 'yourself' in str(refused)
        else:
            raise AssertionError('deactivating oneself was allowed')


async def test_deactivation_ends_the_open_page_through_the_user_topic(user: User) -> None:
    """Without the topic, the page would learn it only at its 20 s check with a 30 s cached answer."""
    from portal.services.identity import staff
    secret = pyotp.random_base32()
    clerk = make_user(email='dana@example.com', role='staff', totp_secret=secret)
    admin = make_user(email='boss@example.com', role='admin')
    await sign_in_with_code(user, 'dana@example.com', secret)
    await user.open('/staff/accounts')
    await user.should_see('Accounts')
    with write_session() as session:
        staff.deactivate_user(session, actor=Actor(user_id=admin.id, role='admin'), user_id=clerk.id)
    await user.should_see('You are signed out.')
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == 'user_deactivated')).one()
    assert event.actor_user_id == admin.id and event.entity_id == str(clerk.id)


async def test_admin_deactivates_and_resets_mfa_from_the_page(user: User) -> None:
    clerk = make_user(email='erin@example.com', role='staff', totp_secret=pyotp.random_base32())
    await sign_in_as_admin(user)
    await user.open('/staff/admin/users')
    await user.should_see('erin@example.com')
    user.find(marker=f'reset-mfa-{clerk.id}').click()
    user.find(marker='confirm').click()
    await user.should_see('Two-step sign-in reset.')
    user.find(marker=f'deactivate-{clerk.id}').click()
    user.find(marker='confirm').click()
    await user.should_see('User deactivated.')
    with read_session() as session:
        row = session.get(UserRow, clerk.id)
        assert row.is_active is False and row.totp_secret is None


async def test_a_user_topic_ends_the_sign_in_in_a_process_with_no_page_of_theirs_open(user: User) -> None:
    """The process's cached 'still valid' answer goes with the topic, so the deactivated person's next request
    (a new tab, a page opened later) is refused at once rather than within the 30 s cache."""
    import time

    from components import live, session
    clerk = make_user(email='dana@example.com', role='staff')
    auth = {'user_id': clerk.id, 'role': 'staff', 'verified_at': time.time()}
    assert await session.still_valid(auth)  # cached in this process now
    with write_session() as db_session:
        db_session.get(UserRow, clerk.id).is_active = False
    assert len(live.hub) == 0  # no page of theirs (nor anyone's) is open here
    live.hub.notify([f'user:{clerk.id}'])  # as the listener hands over the topic from the admin's process
    assert not await session.still_valid(auth)
