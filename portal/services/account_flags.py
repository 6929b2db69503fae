"""Flags staff and the gateway put on an account (holds, a patient's billing dispute, a card chargeback),
and resolving them one kind at a time: clearing a billing dispute leaves a chargeback open, and back."""
from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_account, require_staff
from portal.clock import utcnow
from portal.models import AccountFlag, FlagKind


def in_force(today: date) -> ColumnElement[bool]:
    """A flag holds while nobody cleared it and its expiry day (if staff set one) has not passed."""
    return and_(col(AccountFlag.cleared_at).is_(None),
                or_(col(AccountFlag.expires_on).is_(None), col(AccountFlag.expires_on) >= today))


def resolve_flags(session: Session, /, *, actor: Actor, account_id: int, kind: FlagKind,
                  reason: str | None = None) -> int:
    """Clear the account's open flags of one kind (and, given `reason`, only those raised for it: one
    disputed charge, not every dispute on the account), stamped with who and when; flags of any other
    kind stay open. Returns how many were cleared (0 when none was open). Staff only: anyone else gets
    NotFound (audited once by require_staff)."""
    require_staff(session, actor, purpose='resolve_flag')
    require_account(session, actor, account_id, purpose='resolve_flag')
    query = select(AccountFlag).where(AccountFlag.account_id == account_id, AccountFlag.kind == kind,
                                      col(AccountFlag.cleared_at).is_(None))
    rows = session.exec(query.where(AccountFlag.reason == reason) if reason is not None else query).all()
    for row in rows:
        row.cleared_at, row.cleared_by_user_id = utcnow(), actor.user_id
        audit.record(session, action='flag_resolved', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account_flag', entity_id=row.id, account_id=account_id, source_ip=actor.ip,
                     detail=f'kind={kind}')
    return len(rows)
