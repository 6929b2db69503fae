"""The audit log for admins: audit events filtered by who (the actor's email), action, account (its public
number) and the practice's calendar days, newest first, a page at a time; and the same filter as CSV
(through `portal.interop.csv_export.to_csv`), the export itself audited. Reading the log is for admins only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_admin
from portal.errors import ValidationFailed
from portal.interop.csv_export import to_csv
from portal.models import AuditEvent, GuarantorAccount, User
from portal.services.practice import zone_name

PAGE_SIZE = 50
EXPORT_LIMIT = 50_000
MAX_FILTER = 254


@dataclass(frozen=True)
class AuditFilter:
    who: str = ''  # part of the actor's email
    action: str = ''  # exact action name
    account_number: str = ''
    date_from: date | None = None  # practice calendar days, inclusive
    date_to: date | None = None


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    who: str  # the actor's email, or '' for none (an unknown email's failed sign-in)
    role: str
    action: str
    entity: str  # 'user 12', 'practice_settings timezone'
    account_number: str
    outcome: str
    source_ip: str
    detail: str


@dataclass(frozen=True)
class AuditPage:
    rows: tuple[AuditRow, ...]
    total: int
    page: int  # 1-based
    pages: int
    actions: tuple[str, ...]  # every action in the log, for the filter's choices


def _query(session: Session, where: AuditFilter):  # noqa: ANN202  (a select of events, users, account numbers)
    if len(where.who) > MAX_FILTER or len(where.action) > 48 or len(where.account_number) > 20:
        raise ValidationFailed('A filter is too long.')
    if where.date_from and where.date_to and where.date_from > where.date_to:
        raise ValidationFailed('The start date is after the end date.',
                               field_errors={'date_to': 'Choose a day on or after the start date.'})
    query = (select(AuditEvent, User.email, GuarantorAccount.account_number)
             .join(User, col(User.id) == col(AuditEvent.actor_user_id), isouter=True)
             .join(GuarantorAccount, col(GuarantorAccount.id) == col(AuditEvent.account_id), isouter=True))
    if where.who.strip():
        query = query.where(col(User.email).contains(where.who.strip().lower(), autoescape=True))
    if where.action.strip():
        query = query.where(AuditEvent.action == where.action.strip())
    if where.account_number.strip():
        query = query.where(GuarantorAccount.account_number == where.account_number.strip().upper())
    zone = ZoneInfo(zone_name(session))
    if where.date_from:
        query = query.where(AuditEvent.at >= datetime.combine(where.date_from, time(0), tzinfo=zone))
    if where.date_to:
        query = query.where(AuditEvent.at < datetime.combine(where.date_to + timedelta(days=1), time(0), tzinfo=zone))
    return query


def _row(event: AuditEvent, email: str | None, account_number: str | None) -> AuditRow:
    entity = f'{event.entity_type} {event.entity_id}'.strip()
    return AuditRow(id=event.id, at=event.at, who=email or '', role=event.actor_role, action=event.action,
                    entity=entity, account_number=account_number or '', outcome=event.outcome,
                    source_ip=event.source_ip, detail=event.detail)


def audit_page(session: Session, /, *, actor: Actor, where: AuditFilter, page: int = 1) -> AuditPage:
    """One page (PAGE_SIZE events, newest first) of the events that match `where`."""
    require_admin(session, actor)
    query = _query(session, where)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    found = session.exec(query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                         .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    actions = tuple(session.exec(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all())
    return AuditPage(rows=tuple(_row(*item) for item in found), total=total, page=page, pages=pages, actions=actions)


CSV_HEADER = ('time (UTC)', 'who', 'role', 'action', 'entity', 'account', 'outcome', 'source ip', 'detail')


def export_audit_csv(session: Session, /, *, actor: Actor, where: AuditFilter) -> str:
    """The matching events (newest first, at most EXPORT_LIMIT) as CSV text; the export is audited with
    its filter. Run it in a write session."""
    require_admin(session, actor)
    found = session.exec(_query(session, where).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
                         .limit(EXPORT_LIMIT)).all()
    rows = [_row(*item) for item in found]
    audit.record(session, action='audit_log_exported', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='audit_event', source_ip=actor.ip,
                 detail=(f'{len(rows)} rows; who={where.who[:30]} action={where.action} '
                         f'account={where.account_number} from={where.date_from or ""} to={where.date_to or ""}'))
    return to_csv(CSV_HEADER, ((row.at, row.who, row.role, row.action, row.entity, row.account_number, row.outcome,
                                row.source_ip, row.detail) for row in rows))
