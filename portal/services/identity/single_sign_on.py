"""Staff single sign-on over OpenID Connect: what happens once the provider's ID token is verified (the
code flow with PKCE, state, nonce and the token's signature, issuer, audience and expiry are checked by
Authlib in pages/single_sign_on.py).

- A user is found by issuer + subject (`User.oidc_subject` holds '<issuer> <subject>').
- The first sign-in of a subject links it by verified email: to a pending staff invitation (the user is
  made then, the invitation used) or to an existing staff user not yet linked. Never to a patient.
- With `PORTAL_OIDC_ROLE_CLAIM` set, the role comes from that claim ('admin' or 'staff' among its values).
- The local second factor is skipped only when the provider asserts one: `amr` contains 'mfa', or `acr`
  is one of `PORTAL_OIDC_MFA_ACR`.
Every refusal is audited ('sso_refused', with the reason) and raised as `SsoRefused(reason)`.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlparse

from sqlalchemy import update
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.passwords import hash_password
from portal.clock import utcnow
from portal.config import get_settings
from portal.db import write_session
from portal.errors import DomainError
from portal.models import Role, StaffInvite, User
from portal.services.identity.shared import Identity, normalize_email, to_identity

STAFF_ROLES = (Role.staff.value, Role.admin.value)

# reason -> what the sign-in page says (pages/auth.py shows it for /?reason=sso-<reason>)
REASONS = {
    'state': 'Single sign-on did not finish: the sign-in was started elsewhere or took too long. Try again.',
    'code': 'Single sign-on did not finish: the provider refused the sign-in code (used already or expired). '
            'Try again.',
    'token': 'Single sign-on failed: the identity provider’s answer could not be verified.',
    'expired': 'Single sign-on failed: the identity provider’s answer has expired. Check the clock and try again.',
    'audience': 'Single sign-on failed: the identity provider’s answer was meant for another application.',
    'unknown': 'Your identity provider account is not set up for this portal. Ask your practice admin for an '
               'invitation.',
    'role': 'Your identity provider gives you no role in this portal. Ask your practice admin.',
    'inactive': 'This account is deactivated. Ask your practice admin.',
    'down': 'The identity provider cannot be reached right now. Try again in a few minutes, or sign in with '
            'your password.',
    'denied': 'Single sign-on was cancelled at the identity provider.',
}


def provider_name() -> str:
    """What the sign-in button calls the provider: `PORTAL_OIDC_PROVIDER_NAME`, else the issuer's host."""
    settings = get_settings()
    return settings.oidc_provider_name or urlparse(settings.oidc_issuer).hostname or 'your identity provider'


class SsoRefused(DomainError):
    def __init__(self, reason: str) -> None:
        super().__init__(REASONS[reason])
        self.reason = reason


@dataclass(frozen=True)
class SsoClaims:
    issuer: str
    subject: str
    email: str = ''
    email_verified: bool = False
    roles: tuple[str, ...] = ()  # the configured role claim's values ('' claim: none)
    amr: tuple[str, ...] = field(default=())
    acr: str = ''


def claims_from_id_token(claims: dict) -> SsoClaims:
    """The parts of a verified ID token's claims that sign-in uses."""
    role_claim = get_settings().oidc_role_claim
    raw_roles = claims.get(role_claim) if role_claim else None
    roles = (raw_roles,) if isinstance(raw_roles, str) else tuple(str(item) for item in raw_roles or ())
    amr = claims.get('amr') or ()
    return SsoClaims(issuer=str(claims.get('iss', '')), subject=str(claims.get('sub', '')),
                     email=str(claims.get('email') or ''), email_verified=claims.get('email_verified') is True,
                     roles=roles, amr=(amr,) if isinstance(amr, str) else tuple(str(item) for item in amr),
                     acr=str(claims.get('acr') or ''))


def provider_checked_mfa(claims: SsoClaims) -> bool:
    """Did the provider assert a second factor? `amr` contains 'mfa', or `acr` is one the admin named."""
    named = {value.strip() for value in get_settings().oidc_mfa_acr.split(',') if value.strip()}
    return 'mfa' in claims.amr or (bool(claims.acr) and claims.acr in named)


def _role_from(claims: SsoClaims) -> str | None:
    if 'admin' in claims.roles:
        return Role.admin.value
    if 'staff' in claims.roles:
        return Role.staff.value
    return None


class _Refusal(Exception):  # noqa: N818  (internal: rolls the sign-in's transaction back)
    def __init__(self, reason: str, user_id: int | None) -> None:
        super().__init__(reason)
        self.reason, self.user_id = reason, user_id


def record_refusal(*, reason: str, ip: str, detail: str = '', user_id: int | None = None) -> None:
    """Audit a refused single sign-on (the caller then raises SsoRefused or answers the browser)."""
    with write_session() as session:
        audit.record(session, action='sso_refused', actor_user_id=user_id, outcome='denied', source_ip=(ip or '')[:45],
                     detail=f'{reason}{": " + detail if detail else ""}')


def _link_by_email(session: Session, claims: SsoClaims, key: str, spare_hash: str, ip: str) -> User | None:
    email = normalize_email(claims.email)
    if not (claims.email_verified and email):
        return None
    now = utcnow()
    invite = session.exec(select(StaffInvite).where(
        StaffInvite.email == email, col(StaffInvite.used_at).is_(None), col(StaffInvite.revoked_at).is_(None),
        StaffInvite.expires_at > now).order_by(col(StaffInvite.id).desc())).first()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is not None:
        if user.role not in STAFF_ROLES or user.oidc_subject is not None:
            return None
        user.oidc_subject = key
        audit.record(session, action='sso_linked', actor_user_id=user.id, actor_role=user.role, entity_type='user',
                     entity_id=user.id, source_ip=ip)
        return user
    if invite is None:
        return None
    user = User(email=email, password_hash=spare_hash, role=invite.role, first_name=invite.first_name,
                last_name=invite.last_name, oidc_subject=key, password_changed_at=now)
    session.add(user)
    session.flush()
    session.execute(update(StaffInvite).where(StaffInvite.id == invite.id).values(used_at=now, user_id=user.id))
    audit.record(session, action='staff_invite_accepted', actor_user_id=user.id, actor_role=user.role,
                 entity_type='staff_invite', entity_id=invite.id, source_ip=ip, detail='single sign-on')
    return user


def sso_sign_in(*, claims: SsoClaims, ip: str) -> tuple[Identity, bool]:
    """(the signed-in Identity, whether the provider checked a second factor); SsoRefused otherwise."""
    ip = (ip or '')[:45]
    if not claims.issuer or not claims.subject:
        record_refusal(reason='token', ip=ip, detail='no issuer or subject')
        raise SsoRefused('token')
    key = f'{claims.issuer} {claims.subject}'[:255]
    # a password nobody knows, for a user made by single sign-on (hashed before the transaction opens)
    spare_hash = hash_password(secrets.token_urlsafe(32))
    try:
        with write_session() as session:
            user = session.exec(select(User).where(User.oidc_subject == key)).first()
            role = _role_from(claims) if get_settings().oidc_role_claim else None
            if user is None:
                if get_settings().oidc_role_claim and role is None:
                    raise _Refusal('role', None)  # before linking: no user is made, no invitation used
                user = _link_by_email(session, claims, key, spare_hash, ip)
            if user is None:
                raise _Refusal('unknown', None)
            # from here `user` was in the database before (a user made from an invitation just now passes)
            if user.role not in STAFF_ROLES:
                raise _Refusal('unknown', user.id)
            if not user.is_active:
                raise _Refusal('inactive', user.id)
            if get_settings().oidc_role_claim and role is None:
                raise _Refusal('role', user.id)
            if role is not None and role != user.role:
                audit.record(session, action='user_role_changed', actor_user_id=user.id, actor_role=role,
                             entity_type='user', entity_id=user.id, source_ip=ip,
                             detail=f'{user.role} -> {role} (identity provider)')
                user.role = role
            user.last_sign_in_at, user.failed_sign_ins = utcnow(), 0
            session.add(user)
            audit.record(session, action='sign_in', actor_user_id=user.id, actor_role=user.role, source_ip=ip,
                         detail='single sign-on' + (' (provider MFA)' if provider_checked_mfa(claims) else ''))
            identity = to_identity(user)
    except _Refusal as refusal:  # rolled back: a refused sign-in links nobody and uses no invitation
        record_refusal(reason=refusal.reason, ip=ip, user_id=refusal.user_id)
        raise SsoRefused(refusal.reason) from None
    return identity, provider_checked_mfa(claims)
