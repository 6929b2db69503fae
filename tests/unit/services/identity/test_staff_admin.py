"""Staff administration: invitations (single use, 72 hours, existing emails refused), the last admin and
oneself protected, each change audited and published on the user's live topic."""
from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from sqlmodel import select

from portal.auth.permissions import Actor, Refused
from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.errors import DomainError, ValidationFailed
from portal.models import AuditEvent, LiveEvent, Notification, User
from portal.services import send_time
from portal.services.identity import sessions, staff
from tests.factories import make_user

PASSWORD = 'harbor-violet-candle-73'


def _actor(user: User) -> Actor:
    return Actor(user_id=user.id, role=user.role, ip='203.0.113.9')


def _invite(admin: User, email: str = 'casey@example.com', role: str = 'staff') -> str:
    with write_session() as session:
        staff.invite_staff(session, actor=_actor(admin), email=email, role=role, first_name='Casey')
    with read_session() as session:
        note = session.exec(select(Notification).where(Notification.recipient == email)
                            .order_by(Notification.id.desc())).first()
    link = send_time.complete(note.template, note.dedupe_key, json.loads(note.context_json))['link']
    return parse_qs(urlparse(str(link)).query)['token'][0]


def test_an_invite_makes_a_staff_user_once(db: str) -> None:
    admin = make_user(role='admin')
    token = _invite(admin)
    assert staff.invite_for_token(token=token).email == 'casey@example.com'
    who = staff.accept_invite(token=token, password=PASSWORD, password_confirm=PASSWORD, ip='')
    assert who.role == 'staff' and who.needs_mfa and not who.mfa_enrolled
    assert sessions.sign_in(email='casey@example.com', password=PASSWORD, ip='').user_id == who.user_id
    with pytest.raises(DomainError, match='expired or was already used'):
        staff.accept_invite(token=token, password=PASSWORD, password_confirm=PASSWORD, ip='')


def test_an_invite_expires_after_72_hours(db: str) -> None:
    admin = make_user(role='admin')
    token = _invite(admin)
    with time_machine.travel(utcnow() + timedelta(hours=72, minutes=1)), \
            pytest.raises(DomainError, match='expired'):
        staff.accept_invite(token=token, password=PASSWORD, password_confirm=PASSWORD, ip='')


def test_a_new_invite_revokes_the_earlier_link(db: str) -> None:
    admin = make_user(role='admin')
    first = _invite(admin)
    second = _invite(admin)
    with pytest.raises(DomainError):
        staff.invite_for_token(token=first)
    assert staff.invite_for_token(token=second).email == 'casey@example.com'


def test_invites_to_existing_emails_and_bad_roles_are_refused(db: str) -> None:
    admin = make_user(role='admin')
    make_user(email='taken@example.com', role='patient')
    with write_session() as session, pytest.raises(ValidationFailed) as refused:
        staff.invite_staff(session, actor=_actor(admin), email='taken@example.com', role='owner')
    assert set(refused.value.field_errors) == {'role'}
    with write_session() as session, pytest.raises(ValidationFailed) as refused:
        staff.invite_staff(session, actor=_actor(admin), email='taken@example.com', role='staff')
    assert 'already' in refused.value.field_errors['email']


def test_only_admins_invite(db: str) -> None:
    clerk = make_user(role='staff')
    with pytest.raises(Refused), write_session() as session:
        staff.invite_staff(session, actor=_actor(clerk), email='x@example.com', role='staff')


def test_the_last_admin_and_oneself_cannot_be_deactivated(db: str) -> None:
    admin = make_user(role='admin')
    other = make_user(role='admin')
    with write_session() as session, pytest.raises(DomainError, match='yourself'):
        staff.deactivate_user(session, actor=_actor(admin), user_id=admin.id)
    with write_session() as session:
        staff.deactivate_user(session, actor=_actor(admin), user_id=other.id)
    with write_session() as session:
        staff.reactivate_user(session, actor=_actor(admin), user_id=other.id)
    with write_session() as session:  # now `other` removes admin's role... then admin is the last one
        staff.change_role(session, actor=_actor(other), user_id=admin.id, role='staff')
    with write_session() as session, pytest.raises(DomainError, match='last admin'):
        staff.change_role(session, actor=Actor(user_id=admin.id, role='admin'), user_id=other.id, role='staff')


def test_deactivation_ends_sign_ins_and_is_published_and_audited(db: str) -> None:
    admin = make_user(role='admin')
    clerk = make_user(role='staff')
    with write_session() as session:
        staff.deactivate_user(session, actor=_actor(admin), user_id=clerk.id)
    assert not sessions.sign_in_still_valid(user_id=clerk.id, role='staff', verified_at=utcnow().timestamp())
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == 'user_deactivated')).one()
        if session.get_bind().dialect.name == 'sqlite':  # PostgreSQL relays the topic with NOTIFY instead
            assert session.exec(select(LiveEvent.topic)).all() == [f'user:{clerk.id}']
    assert (event.actor_user_id, event.entity_id, event.source_ip) == (admin.id, str(clerk.id), '203.0.113.9')


def test_an_mfa_reset_forgets_the_app_and_ends_sign_ins(db: str) -> None:
    admin = make_user(role='admin')
    clerk = make_user(role='staff', totp_secret='JBSWY3DPEHPK3PXP')
    before = utcnow().timestamp() - 5
    with write_session() as session:
        staff.reset_mfa(session, actor=_actor(admin), user_id=clerk.id)
    with read_session() as session:
        row = session.get(User, clerk.id)
    assert row.totp_secret is None and row.totp_enabled_at is None
    assert not sessions.sign_in_still_valid(user_id=clerk.id, role='staff', verified_at=before)


def test_a_sign_in_ended_by_deactivation_stays_ended_after_reactivation(db: str) -> None:
    admin = make_user(role='admin')
    clerk = make_user(role='staff')
    before = utcnow().timestamp() - 5  # a browser the clerk signed in with before the deactivation
    with write_session() as session:
        staff.deactivate_user(session, actor=_actor(admin), user_id=clerk.id)
    with write_session() as session:
        staff.reactivate_user(session, actor=_actor(admin), user_id=clerk.id)
    assert not sessions.sign_in_still_valid(user_id=clerk.id, role='staff', verified_at=before)
    assert sessions.sign_in_still_valid(user_id=clerk.id, role='staff', verified_at=utcnow().timestamp())


def test_a_sign_in_ended_by_a_role_change_stays_ended_when_the_role_is_changed_back(db: str) -> None:
    admin = make_user(role='admin')
    clerk = make_user(role='staff')
    before = utcnow().timestamp() - 5
    with write_session() as session:
        staff.change_role(session, actor=_actor(admin), user_id=clerk.id, role='admin')
    with write_session() as session:
        staff.change_role(session, actor=_actor(admin), user_id=clerk.id, role='staff')
    assert not sessions.sign_in_still_valid(user_id=clerk.id, role='staff', verified_at=before)


def test_deactivating_an_admin_revokes_the_invitations_they_sent(db: str) -> None:
    admin = make_user(role='admin')
    leaving = make_user(role='admin')
    token = _invite(leaving, email='friend@example.com', role='admin')
    kept = _invite(admin, email='casey@example.com')
    with write_session() as session:
        staff.deactivate_user(session, actor=_actor(admin), user_id=leaving.id)
    with pytest.raises(DomainError, match='expired or was already used'):
        staff.accept_invite(token=token, password=PASSWORD, password_confirm=PASSWORD, ip='')
    assert staff.invite_for_token(token=kept).email == 'casey@example.com'  # other admins' invitations stand
    with read_session() as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == 'user_deactivated')).one()
    assert event.detail == '1 pending invitation(s) revoked'
