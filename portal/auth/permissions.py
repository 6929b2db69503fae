"""Who may do what: the `require_*` helpers every service calls before it reads or changes anything.

A refusal is the same as a missing record: `Refused` is a `NotFound`, so a page answers 404 (a changed
id or a patient at a staff use-case never learns the record exists). Each helper audits its refusal
once, itself; the audit event rides on the error and `portal.db.write_session` keeps it after rolling
the use-case back, so callers neither audit refusals again nor catch them to save the audit.

- `require_account(session, actor, account_id)`: the actor may act on this guarantor account (staff
  always, audited; a patient through an unrevoked AccountAccess, audited unless it is their own).
- `require_staff(session, actor)`: billing staff or an admin.
- `require_admin(session, actor)`: an admin.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from portal import audit
from portal.errors import NotFound
from portal.models import AccountAccess, AuditEvent, Role

STAFF_ROLES = frozenset({'staff', 'admin'})
ADMIN_ROLES = frozenset({'admin'})


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    ip: str = ''

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class Refused(NotFound):
    """The actor may not do this: answered as not found. `keep_after_rollback` holds the refusal's
    audit event, which `write_session` stores after it rolls the use-case back."""

    def __init__(self, event: AuditEvent) -> None:
        super().__init__()
        self.keep_after_rollback = (event,)


def _refuse(session: Session, actor: Actor, *, purpose: str, entity_type: str, entity_id: object = '') -> Refused:
    event = audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type=entity_type, entity_id=entity_id, outcome='denied', source_ip=actor.ip)
    return Refused(event)


def require_staff(session: Session, actor: Actor, *, purpose: str = 'staff_only') -> None:
    """Billing staff and admins pass; anyone else gets Refused (a NotFound), audited as `purpose`."""
    if not actor.is_staff:
        raise _refuse(session, actor, purpose=purpose, entity_type='staff')


def require_admin(session: Session, actor: Actor, *, purpose: str = 'admin_only') -> None:
    """Admins pass; anyone else (staff too) gets Refused (a NotFound), audited as `purpose`."""
    if actor.role != Role.admin:
        raise _refuse(session, actor, purpose=purpose, entity_type='admin')


def account_relationships(session: Session, user_id: int) -> dict[int, str]:
    """account id -> relationship, for the accounts this user may act on."""
    rows = session.connection().execute(
        select(AccountAccess.account_id, AccountAccess.relationship)
        .where(AccountAccess.user_id == user_id, AccountAccess.revoked_at.is_(None))  # type: ignore[union-attr]
        .order_by(AccountAccess.account_id)).all()
    return {account_id: relationship for account_id, relationship in rows}


def require_account(session: Session, actor: Actor, account_id: int, *, purpose: str = 'view_account',
                    audit_view: bool = True) -> str:
    """Check the actor may see this account; return the relationship ('staff' for staff).

    Staff views of a person's data and non-self patient views are audited (unless the caller audits the
    view itself: `audit_view=False`, as the file service does once per file); a refusal raises Refused
    (a NotFound), audited once.
    """
    if actor.is_staff:
        if audit_view:
            audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                         entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip)
        return 'staff'
    relationship = account_relationships(session, actor.user_id).get(account_id)
    if relationship is None:
        raise _refuse(session, actor, purpose=purpose, entity_type='account', entity_id=account_id)
    if relationship != 'self' and audit_view:
        audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                     detail=f'relationship={relationship}')
    return relationship
