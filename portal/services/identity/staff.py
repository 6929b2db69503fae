"""Staff administration by admins: the user list, invitations (a single-use emailed link that expires
after 72 hours; the invitee sets a password and then enrols an authenticator app), role changes, an MFA
reset and deactivation.

Every change is audited and publishes the topic `user:{id}` (portal.live) in its transaction, so the
pages that person has open on any process re-check their sign-in at once (components/frame.py) instead
of at the next 30 s validity check. An invite's token exists only in the email as it is sent
(`mint_invite_link`, called by portal.services.send_time); the row keeps its SHA-256 digest.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from portal import audit, live
from portal.auth.passwords import hash_password
from portal.auth.permissions import Actor, require_admin
from portal.clock import utcnow
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound, ValidationFailed
from portal.models import Role, StaffInvite, User
from portal.notify.outbox import enqueue
from portal.services.identity.shared import (
    FIX_FIELDS,
    MAX_NAME,
    Identity,
    check_email,
    has_control_characters,
    new_password_errors,
    to_identity,
)
from portal.services.password_reset import placeholder_digest, token_digest

INVITE_LIFETIME = timedelta(hours=72)
STAFF_ROLE_CHOICES = (Role.staff.value, Role.admin.value)
INVITE_INVALID = 'This invitation has expired or was already used. Ask your practice admin for a new one.'


def user_topic(user_id: int) -> str:
    """The live topic of one user's sign-ins: published when the user is deactivated or changed."""
    return f'user:{user_id}'


@dataclass(frozen=True)
class StaffUserView:
    id: int
    email: str
    name: str
    role: str
    is_active: bool
    mfa_enrolled: bool
    last_sign_in_at: datetime | None


@dataclass(frozen=True)
class InviteView:
    id: int
    email: str
    role: str
    invited_at: datetime
    expires_at: datetime
    state: str  # pending, expired, used, revoked


@dataclass(frozen=True)
class StaffDirectory:
    users: tuple[StaffUserView, ...]
    invites: tuple[InviteView, ...]


def _invite_state(row: StaffInvite, now: datetime) -> str:
    if row.used_at is not None:
        return 'used'
    if row.revoked_at is not None:
        return 'revoked'
    return 'expired' if row.expires_at <= now else 'pending'


def staff_directory(session: Session, /, *, actor: Actor) -> StaffDirectory:
    """Staff and admin users (active first, then by email) and the invitations not yet used."""
    require_admin(session, actor)
    users = session.exec(select(User).where(col(User.role).in_(STAFF_ROLE_CHOICES))
                         .order_by(col(User.is_active).desc(), User.email)).all()
    invites = session.exec(select(StaffInvite).where(col(StaffInvite.used_at).is_(None))
                           .order_by(col(StaffInvite.created_at).desc()).limit(100)).all()
    now = utcnow()
    return StaffDirectory(
        users=tuple(StaffUserView(id=user.id, email=user.email, name=f'{user.first_name} {user.last_name}'.strip(),
                                  role=user.role, is_active=user.is_active,
                                  mfa_enrolled=bool(user.totp_secret and user.totp_enabled_at),
                                  last_sign_in_at=user.last_sign_in_at) for user in users),
        invites=tuple(InviteView(id=row.id, email=row.email, role=row.role, invited_at=row.created_at,
                                 expires_at=row.expires_at, state=_invite_state(row, now)) for row in invites))


def _check_name(errors: dict[str, str], field: str, value: str) -> str:
    value = (value or '').strip()
    if len(value) > MAX_NAME:
        errors[field] = f'Use at most {MAX_NAME} characters.'
    elif has_control_characters(value):
        errors[field] = 'Use only letters, spaces, hyphens and apostrophes.'
    return value


def invite_staff(session: Session, /, *, actor: Actor, email: str, role: str, first_name: str = '',
                 last_name: str = '') -> InviteView:
    """Invite a person to join as staff or admin: an email with a single-use link valid for 72 hours.
    Refused for an email that already has a user; an earlier pending invite to the same email is revoked."""
    require_admin(session, actor)
    errors: dict[str, str] = {}
    email_error, email = check_email(email)
    if email_error:
        errors['email'] = email_error
    if role not in STAFF_ROLE_CHOICES:
        errors['role'] = 'Choose staff or admin.'
    first = _check_name(errors, 'first_name', first_name)
    last = _check_name(errors, 'last_name', last_name)
    if not errors and session.exec(select(User.id).where(User.email == email)).first() is not None:
        errors['email'] = 'Someone already signs in with this email.'
    if errors:
        raise ValidationFailed(FIX_FIELDS, field_errors=errors)
    now = utcnow()
    earlier = session.exec(select(StaffInvite.id).where(
        StaffInvite.email == email, col(StaffInvite.used_at).is_(None), col(StaffInvite.revoked_at).is_(None))).all()
    if earlier:
        session.execute(update(StaffInvite).where(col(StaffInvite.id).in_(earlier)).values(revoked_at=now))
    for invite_id in earlier:  # the earlier link stops working: as audited as an admin's revoking it
        audit.record(session, action='staff_invite_revoked', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='staff_invite', entity_id=invite_id, source_ip=actor.ip,
                     detail='replaced by a new invitation')
    row = StaffInvite(email=email, role=role, first_name=first, last_name=last, token_hash=placeholder_digest(),
                      invited_by_user_id=actor.user_id, expires_at=now + INVITE_LIFETIME)
    session.add(row)
    session.flush()
    enqueue(session, channel='email', template='staff_invite', recipient=email, dedupe_key=f'staff_invite:{row.id}',
            context={'first_name': first or 'there'})
    audit.record(session, action='staff_invited', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='staff_invite', entity_id=row.id, source_ip=actor.ip, detail=f'role {role}')
    return InviteView(id=row.id, email=email, role=role, invited_at=row.created_at, expires_at=row.expires_at,
                      state='pending')


def revoke_invite(session: Session, /, *, actor: Actor, invite_id: int) -> None:
    require_admin(session, actor)
    row = session.get(StaffInvite, invite_id)
    if row is None or row.used_at is not None:
        raise NotFound()
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session, action='staff_invite_revoked', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='staff_invite', entity_id=row.id, source_ip=actor.ip)


def mint_invite_link(invite_id: int) -> str | None:
    """A new link ('<base>/invite?token=...') for a pending invite, or None; made as its email is sent."""
    token = secrets.token_urlsafe(32)
    with write_session() as session:
        minted = session.execute(
            update(StaffInvite)
            .where(StaffInvite.id == invite_id, col(StaffInvite.used_at).is_(None),
                   col(StaffInvite.revoked_at).is_(None), StaffInvite.expires_at > utcnow())
            .values(token_hash=token_digest(token))).rowcount == 1
    return f'{get_settings().public_base_url}/invite?token={token}' if minted else None


def _pending(session: Session, token: str) -> StaffInvite | None:
    token = (token or '').strip()
    if not token or len(token) > 128:
        return None
    row = session.exec(select(StaffInvite).where(StaffInvite.token_hash == token_digest(token))).first()
    if row is None or _invite_state(row, utcnow()) != 'pending':
        return None
    return row


@dataclass(frozen=True)
class InviteDetails:
    email: str
    first_name: str
    role: str


def invite_for_token(*, token: str) -> InviteDetails:
    """What the invite page shows; DomainError(INVITE_INVALID) for a used, expired or unknown link."""
    with read_session() as session:
        row = _pending(session, token)
    if row is None:
        raise DomainError(INVITE_INVALID)
    return InviteDetails(email=row.email, first_name=row.first_name, role=row.role)


def accept_invite(*, token: str, password: str, password_confirm: str, ip: str) -> Identity:
    """Create the invited user with the chosen password; the link works once. The returned Identity needs
    its second factor: staff enrol an authenticator app before their first page."""
    ip = (ip or '')[:45]
    with read_session() as session:
        row = _pending(session, token)
    if row is None:
        raise DomainError(INVITE_INVALID)
    errors = new_password_errors(password, password_confirm, field='password',
                                 user_inputs=[row.email, row.first_name, row.last_name])
    if errors:
        raise ValidationFailed(FIX_FIELDS, field_errors=errors)
    password_hash = hash_password(password)
    with write_session() as session:
        claimed = session.execute(
            update(StaffInvite).where(StaffInvite.id == row.id, col(StaffInvite.used_at).is_(None),
                                      col(StaffInvite.revoked_at).is_(None), StaffInvite.expires_at > utcnow())
            .values(used_at=utcnow())).rowcount == 1
        taken = session.exec(select(User.id).where(User.email == row.email)).first() is not None
        if not claimed or taken:
            raise DomainError(INVITE_INVALID)
        user = User(email=row.email, password_hash=password_hash, role=row.role, first_name=row.first_name,
                    last_name=row.last_name, password_changed_at=utcnow(), last_sign_in_at=utcnow())
        session.add(user)
        session.flush()
        session.execute(update(StaffInvite).where(StaffInvite.id == row.id).values(user_id=user.id))
        audit.record(session, action='staff_invite_accepted', actor_user_id=user.id, actor_role=user.role,
                     entity_type='staff_invite', entity_id=row.id, source_ip=ip)
        audit.record(session, action='sign_in', actor_user_id=user.id, actor_role=user.role, source_ip=ip,
                     detail='invitation')
        return to_identity(user)


def _staff_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role not in STAFF_ROLE_CHOICES:
        raise NotFound()
    return user


def _end_sign_ins(user: User) -> None:
    """End every sign-in the user made before now, for good: `sign_in_still_valid` refuses sign-ins older
    than the password change time, whatever the user's state becomes later."""
    user.password_changed_at = utcnow()


def _active_admins(session: Session) -> int:
    return session.exec(select(func.count()).select_from(User)
                        .where(User.role == Role.admin, col(User.is_active).is_(True))).one()


def deactivate_user(session: Session, /, *, actor: Actor, user_id: int) -> None:
    """End a staff user's access: their sign-ins end on every process within seconds. Refused for
    oneself and for the last active admin."""
    require_admin(session, actor)
    user = _staff_user(session, user_id)
    if user.id == actor.user_id:
        raise DomainError('You cannot deactivate yourself. Ask another admin.')
    if not user.is_active:
        return
    if user.role == Role.admin and _active_admins(session) <= 1:
        raise DomainError('This is the last admin. Make someone else an admin first.')
    user.is_active = False
    _end_sign_ins(user)  # so a later reactivation does not bring back a browser signed in before it
    session.add(user)
    # a person who leaves takes their pending invitations with them (an admin could have invited themselves)
    revoked = session.execute(
        update(StaffInvite).where(StaffInvite.invited_by_user_id == user.id, col(StaffInvite.used_at).is_(None),
                                  col(StaffInvite.revoked_at).is_(None)).values(revoked_at=utcnow())).rowcount
    live.publish(session, user_topic(user.id))
    audit.record(session, action='user_deactivated', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='user', entity_id=user.id, source_ip=actor.ip,
                 detail=f'{revoked} pending invitation(s) revoked' if revoked else '')


def reactivate_user(session: Session, /, *, actor: Actor, user_id: int) -> None:
    require_admin(session, actor)
    user = _staff_user(session, user_id)
    if user.is_active:
        return
    user.is_active = True
    session.add(user)
    audit.record(session, action='user_reactivated', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='user', entity_id=user.id, source_ip=actor.ip)


def change_role(session: Session, /, *, actor: Actor, user_id: int, role: str) -> None:
    """Staff <-> admin. A changed role ends the person's sign-ins (they sign in again with the new role);
    refused for oneself and for taking admin from the last admin."""
    require_admin(session, actor)
    if role not in STAFF_ROLE_CHOICES:
        raise ValidationFailed('Choose staff or admin.', field_errors={'role': 'Choose staff or admin.'})
    user = _staff_user(session, user_id)
    if user.role == role:
        return
    if user.id == actor.user_id:
        raise DomainError('You cannot change your own role. Ask another admin.')
    if user.role == Role.admin and user.is_active and _active_admins(session) <= 1:
        raise DomainError('This is the last admin. Make someone else an admin first.')
    old, user.role = user.role, role
    _end_sign_ins(user)  # so changing the role back does not bring back a browser signed in before the change
    session.add(user)
    live.publish(session, user_topic(user.id))
    audit.record(session, action='user_role_changed', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='user', entity_id=user.id, source_ip=actor.ip, detail=f'{old} -> {role}')


def reset_mfa(session: Session, /, *, actor: Actor, user_id: int) -> None:
    """Forget a user's authenticator app (a lost phone): their sign-ins end, and at the next sign-in they
    enrol a new app. The password change time moves on, which is what ends their open sessions."""
    require_admin(session, actor)
    user = _staff_user(session, user_id)
    if user.id == actor.user_id:
        raise DomainError('You cannot reset your own two-step sign-in here. Ask another admin.')
    user.totp_secret, user.totp_enabled_at = None, None
    _end_sign_ins(user)
    session.add(user)
    live.publish(session, user_topic(user.id))
    audit.record(session, action='mfa_reset', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='user', entity_id=user.id, source_ip=actor.ip)
