"""Single sign-on after the ID token is verified: users by issuer + subject, the first sign-in linked by
verified email (an invitation or an unlinked staff user, never a patient), roles from the configured claim,
the provider's MFA only from amr=mfa or a named acr, and every refusal audited."""
from __future__ import annotations

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.config import reload_settings
from portal.db import read_session, write_session
from portal.models import AuditEvent, StaffInvite, User
from portal.services.identity import single_sign_on as sso
from portal.services.identity import staff
from tests.factories import make_user

ISSUER = 'https://login.example.com'


@pytest.fixture(autouse=True)
def sso_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('PORTAL_OIDC_ISSUER', ISSUER)
    monkeypatch.setenv('PORTAL_OIDC_ROLE_CLAIM', 'groups')
    monkeypatch.setenv('PORTAL_OIDC_MFA_ACR', 'urn:example:mfa, phr')
    reload_settings()
    yield
    monkeypatch.undo()
    reload_settings()


def _claims(sub: str, email: str, groups: object = ('billing', 'staff'), **more: object) -> sso.SsoClaims:
    return sso.claims_from_id_token({'iss': ISSUER, 'sub': sub, 'email': email, 'email_verified': True,
                                     'groups': groups, **more})


def _refusals() -> list[str]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent.detail).where(AuditEvent.action == 'sso_refused')).all())


def test_the_provider_mfa_counts_only_when_asserted(db: str) -> None:
    assert sso.provider_checked_mfa(_claims('a', 'a@example.com', amr=['pwd', 'mfa']))
    assert sso.provider_checked_mfa(_claims('a', 'a@example.com', acr='phr'))
    assert not sso.provider_checked_mfa(_claims('a', 'a@example.com', amr=['pwd'], acr='urn:other'))
    assert not sso.provider_checked_mfa(_claims('a', 'a@example.com'))


def test_the_first_sign_in_uses_the_invitation_then_the_subject(db: str) -> None:
    admin = make_user(role='admin')
    with write_session() as session:
        staff.invite_staff(session, actor=Actor(user_id=admin.id, role='admin'), email='new@example.com', role='staff')
    identity, mfa = sso.sso_sign_in(claims=_claims('s-1', 'NEW@example.com', groups='admin'), ip='')
    assert identity.role == 'admin' and not mfa  # the role comes from the claim
    with read_session() as session:
        user = session.get(User, identity.user_id)
        invite = session.exec(select(StaffInvite)).one()
    assert user.oidc_subject == f'{ISSUER} s-1' and invite.used_at is not None and invite.user_id == user.id
    again, _ = sso.sso_sign_in(claims=_claims('s-1', 'changed@example.com'), ip='')
    assert again.user_id == user.id and again.role == 'staff'


def test_an_unverified_email_a_patient_and_an_unknown_subject_are_refused(db: str) -> None:
    make_user(email='pat@example.com', role='patient')
    make_user(email='clerk@example.com', role='staff')
    unverified = sso.SsoClaims(issuer=ISSUER, subject='x', email='clerk@example.com', email_verified=False,
                               roles=('staff',))
    for claims in (unverified, _claims('p', 'pat@example.com'), _claims('u', 'nobody@example.com')):
        with pytest.raises(sso.SsoRefused) as refused:
            sso.sso_sign_in(claims=claims, ip='')
        assert refused.value.reason == 'unknown'
    assert _refusals() == ['unknown', 'unknown', 'unknown']


def test_a_staff_user_is_linked_by_verified_email_and_needs_a_role(db: str) -> None:
    clerk = make_user(email='clerk@example.com', role='staff')
    with pytest.raises(sso.SsoRefused) as refused:
        sso.sso_sign_in(claims=_claims('c', 'clerk@example.com', groups=['billing']), ip='')
    assert refused.value.reason == 'role'
    identity, _ = sso.sso_sign_in(claims=_claims('c', 'clerk@example.com'), ip='')
    assert identity.user_id == clerk.id


def test_a_deactivated_user_is_refused(db: str) -> None:
    make_user(email='gone@example.com', role='staff', is_active=False, oidc_subject=f'{ISSUER} g')
    with pytest.raises(sso.SsoRefused) as refused:
        sso.sso_sign_in(claims=_claims('g', 'gone@example.com'), ip='')
    assert refused.value.reason == 'inactive' and _refusals() == ['inactive']


def test_a_refused_first_sign_in_links_nobody_and_leaves_the_invitation_usable(db: str) -> None:
    admin = make_user(role='admin')
    gone = make_user(email='gone@example.com', role='staff', is_active=False)
    with write_session() as session:
        staff.invite_staff(session, actor=Actor(user_id=admin.id, role='admin'), email='new@example.com', role='staff')
    with pytest.raises(sso.SsoRefused) as refused:  # the provider names no role (yet)
        sso.sso_sign_in(claims=_claims('n-1', 'new@example.com', groups=['billing']), ip='')
    assert refused.value.reason == 'role'
    with pytest.raises(sso.SsoRefused) as refused:
        sso.sso_sign_in(claims=_claims('g-1', 'gone@example.com'), ip='')
    assert refused.value.reason == 'inactive'
    with read_session() as session:
        invite = session.exec(select(StaffInvite)).one()
        assert session.exec(select(User).where(User.email == 'new@example.com')).first() is None
        assert session.get(User, gone.id).oidc_subject is None
        assert session.exec(select(AuditEvent).where(AuditEvent.action == 'sso_linked')).first() is None
    assert invite.used_at is None and _refusals() == ['role', 'inactive']
