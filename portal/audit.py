"""Audit events: append-only, one per sign-in, failure, view of another person's data, money move."""
from __future__ import annotations

from sqlmodel import Session

from portal.models import AuditEvent


def record(session: Session, *, action: str, actor_user_id: int | None = None, actor_role: str = '',
           entity_type: str = '', entity_id: object = '', account_id: int | None = None,
           outcome: str = 'ok', source_ip: str = '', detail: str = '') -> AuditEvent:
    """Add an audit event to the session's transaction. `detail` must never carry PHI."""
    event = AuditEvent(action=action[:48], actor_user_id=actor_user_id, actor_role=actor_role[:16],
                       entity_type=entity_type[:32], entity_id=str(entity_id)[:40], account_id=account_id,
                       outcome=outcome[:16], source_ip=(source_ip or '')[:45], detail=detail[:200])
    session.add(event)
    return event
