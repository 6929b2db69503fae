"""Object-level access: which guarantor accounts an actor may see.

Every read of account data goes through here with the acting user. A patient asking for an
account they have no access to gets NotFound (a changed id is a 404, never a 403 that confirms
the record exists), and the attempt is audited.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from portal import audit
from portal.errors import NotFound
from portal.models import AccountAccess

STAFF_ROLES = frozenset({'staff', 'admin'})


@dataclass(frozen=True)
class Actor:
    user_id: int
    role: str
    ip: str = ''

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


def account_relationships(session: Session, user_id: int) -> dict[int, str]:
    """account id -> relationship, for the accounts this user may act on."""
    rows = session.connection().execute(
        select(AccountAccess.account_id, AccountAccess.relationship)
        .where(AccountAccess.user_id == user_id, AccountAccess.revoked_at.is_(None))  # type: ignore[union-attr]
        .order_by(AccountAccess.account_id)).all()
    return {account_id: relationship for account_id, relationship in rows}


def require_account(session: Session, actor: Actor, account_id: int, *, purpose: str = 'view_account') -> str:
    """Check the actor may see this account; return the relationship ('staff' for staff).

    Staff views of a person's data and non-self patient views are audited; refusals too.
    """
    if actor.is_staff:
        audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip)
        return 'staff'
    relationship = account_relationships(session, actor.user_id).get(account_id)
    if relationship is None:
        audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account', entity_id=account_id, outcome='denied', source_ip=actor.ip)
        raise NotFound()
    if relationship != 'self':
        audit.record(session, action=purpose, actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                     detail=f'relationship={relationship}')
    return relationship
