"""What staff see of the machinery: each scheduled job's last and next run, and the message outbox."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, require_admin, require_staff
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import NotFound
from portal.job_catalogue import JOBS, describe
from portal.models import JobRun, Notification
from portal.notify import templates
from portal.notify.sms import get_provider, masked_phone

STATUSES = ('pending', 'sending', 'sent', 'failed', 'suppressed')
OUTBOX_LIMIT = 200


@dataclass(frozen=True)
class JobStatus:
    id: str
    schedule: str
    last_started: datetime | None
    last_finished: datetime | None
    outcome: str  # ok, failed, running, or 'never run'
    items: int
    error: str
    next_run: datetime | None


def job_statuses(*, actor: Actor, next_runs: dict[str, datetime | None]) -> tuple[JobStatus, ...]:
    """Every registered job with its latest recorded run; next runs come from the leading scheduler."""
    with write_session() as session:
        require_staff(session, actor, purpose='view_jobs')
    latest = last_runs(list(JOBS))
    statuses = []
    for job_id, (_reference, trigger, arguments) in JOBS.items():
        run = latest.get(job_id)
        statuses.append(JobStatus(
            id=job_id, schedule=describe(trigger, arguments),
            last_started=run.started_at if run else None, last_finished=run.finished_at if run else None,
            outcome=run.outcome if run else 'never run', items=run.items if run else 0,
            error=run.error if run else '', next_run=next_runs.get(job_id)))
    return tuple(statuses)


def authorize_run_now(*, actor: Actor, job_id: str) -> None:
    """Before an admin runs a job by hand (`portal.jobs.runs.run_now`): anyone but an admin is refused
    (NotFound, audited once by `require_admin`), an unknown job is NotFound; the run is audited."""
    with write_session() as session:
        require_admin(session, actor, purpose='job_run_now')
    if job_id not in JOBS:
        raise NotFound()
    with write_session() as session:
        audit.record(session, action='job_run_now', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='job', entity_id=job_id, source_ip=actor.ip)


def last_runs(job_ids: list[str]) -> dict[str, JobRun]:
    """The latest recorded run of each job (by start time)."""
    with read_session() as session:
        latest = (select(JobRun.job, func.max(JobRun.started_at).label('started'))
                  .where(col(JobRun.job).in_(job_ids)).group_by(JobRun.job).subquery())
        rows = session.exec(select(JobRun).join(latest, (col(JobRun.job) == latest.c.job)
                                                & (col(JobRun.started_at) == latest.c.started))).all()
        return {row.job: row for row in rows}


@dataclass(frozen=True)
class OutboxRow:
    id: int
    created_at: datetime
    channel: str
    template: str
    recipient: str  # masked
    status: str
    send_after: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str


@dataclass(frozen=True)
class OutboxView:
    counts: dict[str, int]
    rows: list[OutboxRow]
    email_configured: bool
    texting: str  # the SMS provider's name, 'off' when texting is off


def masked(recipient: str, channel: str) -> str:
    if channel == 'sms':
        return masked_phone(recipient)
    local, _, domain = recipient.partition('@')
    return f'{local[:1]}•••@{domain}' if domain else '•••'


def outbox(session: Session, /, *, actor: Actor, status: str | None = None) -> OutboxView:
    """The newest messages (optionally of one status), with counts by status; recipients masked."""
    require_staff(session, actor, purpose='view_outbox')
    if status is not None and status not in STATUSES:
        status = None
    counts = dict.fromkeys(STATUSES, 0)
    for name, count in session.exec(select(Notification.status, func.count()).group_by(Notification.status)).all():
        counts[name] = count
    query = select(Notification).order_by(col(Notification.id).desc()).limit(OUTBOX_LIMIT)
    if status is not None:
        query = query.where(Notification.status == status)
    rows = [OutboxRow(id=row.id, created_at=row.created_at, channel=row.channel,
                      template=row.template if row.template in templates.TEMPLATES else '?',
                      recipient=masked(row.recipient, row.channel), status=row.status, send_after=row.send_after,
                      sent_at=row.sent_at, attempts=row.attempts, last_error=row.last_error)
            for row in session.exec(query).all()]
    return OutboxView(counts=counts, rows=rows, email_configured=bool(get_settings().smtp_url),
                      texting=get_provider().name)
