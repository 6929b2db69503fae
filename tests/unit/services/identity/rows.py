"""What the identity tests read back: audit rows, row counts, a user; the address and new password they use."""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import select

from portal.db import read_session
from portal.models import AuditEvent, User

IP = '203.0.113.7'
NEW_PASSWORD = 'amber-kettle-orchard-93'


def audit_rows(action: str | None = None) -> list[AuditEvent]:
    with read_session() as session:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        return list(session.exec(query).all())


def count_rows(model) -> int:  # noqa: ANN001
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def user_row(user_id: int) -> User:
    with read_session() as session:
        return session.get(User, user_id)
