"""Statement runs: issue a statement to every account that owes something now and is due one.

An account whose whole balance is waiting for insurance (payable.py) gets no statement: a run never
asks for charges still with the insurer. A statement records that part as its "Waiting for insurance"
line: amount due = new balance - waiting for insurance, or the next installment of a current plan.

A run reads each account's ledger since its last statement in one grouped query, decides in
Python, and writes in batches (statements, the previous statement marked superseded, the
paperless email), each batch one transaction. The unique (account, period) key and the
"last statement this period" check make a rerun, or a rerun after a crash, issue nothing twice.
Runs create records only; PDFs render on demand.
"""
from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from portal.auth.permissions import Actor, require_staff
from portal.clock import utcnow
from portal.config import get_settings
from portal.db import is_sqlite, read_session, write_session
from portal.models import (
    AccountFlag,
    GuarantorAccount,
    LedgerEntry,
    LedgerKind,
    Notification,
    PaymentPlan,
    PlanInstallment,
    PracticeSettings,
    Statement,
    StatementRun,
)
from portal.models.accounts import FlagKind
from portal.notify import templates
from portal.services.account_flags import in_force
from portal.services.payable import waiting_by_account
from portal.services.plans import coverage
from portal.services.practice import load_practice_today
from portal.services.statement_totals import Totals, line_of

log = logging.getLogger(__name__)
QUICK_PAY_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ'  # no 0/O, 1/I/L look-alikes: 31^12, about 60 bits
QUICK_PAY_LENGTH = 12
BATCH = 2000
STALE_AFTER = timedelta(hours=6)
DEFAULT_CADENCE_DAYS, DEFAULT_DUE_DAYS = 28, 21

def quick_pay_code() -> str:
    return ''.join(secrets.choice(QUICK_PAY_ALPHABET) for _ in range(QUICK_PAY_LENGTH))


@dataclass(frozen=True)
class RunResult:
    """What a run did, as the page, the job and the command line report it."""
    run_id: int
    period: str
    accounts_considered: int = 0
    statements_created: int = 0
    skipped_on_hold: int = 0
    skipped_not_due: int = 0
    emails_queued: int = 0
    errors: int = 0  # accounts in batches that failed (a rerun issues them)


@dataclass
class _Tally:
    """RunResult's counts while the run works (RunResult itself is frozen)."""
    run_id: int
    period: str
    accounts_considered: int = 0
    statements_created: int = 0
    skipped_on_hold: int = 0
    skipped_not_due: int = 0
    emails_queued: int = 0
    errors: int = 0


@dataclass
class _Candidate:
    account_id: int
    previous_balance: int
    first_entry_id: int
    last_statement_date: date | None
    last_period: str | None
    paperless: bool
    email: str | None
    first_name: str
    by_line: dict[str, int] = field(default_factory=dict)


def _cadence(session: Session) -> tuple[int, int]:
    row = session.connection().execute(
        select(PracticeSettings.statement_cadence_days, PracticeSettings.statement_due_days)
        .order_by(PracticeSettings.id).limit(1)).first()
    return (row[0], row[1]) if row else (DEFAULT_CADENCE_DAYS, DEFAULT_DUE_DAYS)


def _candidates(session: Session, max_entry_id: int) -> Iterator[_Candidate]:
    """Every account with its last statement and its ledger sums per line since then, in one query."""
    latest = (select(func.max(Statement.id)).where(Statement.account_id == GuarantorAccount.id)
              .correlate(GuarantorAccount).scalar_subquery())  # an index lookup per account
    kind = case((LedgerEntry.kind == LedgerKind.correction, func.coalesce(LedgerEntry.corrects_kind, '')),
                else_=LedgerEntry.kind).label('kind')
    correction = (LedgerEntry.kind == LedgerKind.correction).label('is_correction')
    query = (select(GuarantorAccount.id, GuarantorAccount.paperless, GuarantorAccount.email,
                    GuarantorAccount.guarantor_first_name, Statement.last_entry_id, Statement.new_balance,
                    Statement.statement_date, Statement.period, kind, correction,
                    func.sum(LedgerEntry.amount).label('amount'))
             .select_from(GuarantorAccount)
             .outerjoin(Statement, Statement.id == latest)
             .outerjoin(LedgerEntry, and_(LedgerEntry.account_id == GuarantorAccount.id,
                                          LedgerEntry.id > func.coalesce(Statement.last_entry_id, 0),
                                          LedgerEntry.id <= max_entry_id))
             .where(GuarantorAccount.status == 'active')
             .group_by(GuarantorAccount.id, GuarantorAccount.paperless, GuarantorAccount.email,
                       GuarantorAccount.guarantor_first_name, Statement.last_entry_id, Statement.new_balance,
                       Statement.statement_date, Statement.period, kind, correction)
             .order_by(GuarantorAccount.id))
    current: _Candidate | None = None
    for row in session.connection().execute(query):
        if current is None or current.account_id != row.id:
            if current is not None:
                yield current
            current = _Candidate(account_id=row.id, previous_balance=row.new_balance or 0,
                                 first_entry_id=row.last_entry_id or 0, last_statement_date=row.statement_date,
                                 last_period=row.period, paperless=bool(row.paperless), email=row.email,
                                 first_name=row.guarantor_first_name)
        if row.amount is not None:
            line = line_of(LedgerKind.correction, row.kind) if row.is_correction else line_of(row.kind)
            current.by_line[line] = current.by_line.get(line, 0) + int(row.amount)
    if current is not None:
        yield current


def _held_accounts(session: Session, on: date) -> set[int]:
    return set(session.connection().execute(
        select(AccountFlag.account_id).where(AccountFlag.kind == FlagKind.statement_hold,
                                             in_force(on))).scalars())


def _next_installments(session: Session) -> dict[int, int]:
    """account id -> the amount of the next unpaid installment of its current plan."""
    rows = session.connection().execute(
        select(PaymentPlan.account_id, PlanInstallment.amount)
        .join(PlanInstallment, PlanInstallment.plan_id == PaymentPlan.id)
        .where(col(PaymentPlan.status).in_(coverage.ACTIVE), col(PlanInstallment.status).in_(coverage.OWING))
        .order_by(PaymentPlan.account_id, PlanInstallment.seq))
    found: dict[int, int] = {}
    for account_id, amount in rows:
        found.setdefault(account_id, amount)
    return found


def _insert(session: Session, table, rows: list[dict], conflict: list[str]) -> None:  # noqa: ANN001
    dialect = sqlite if is_sqlite(session.get_bind()) else postgresql
    session.connection().execute(dialect.insert(table).on_conflict_do_nothing(index_elements=conflict), rows)


def start_run(*, started_by_user_id: int | None = None, on: date | None = None) -> int:
    """Record a new run (state running) and return its id; `run_statements` does the work."""
    on = on or load_practice_today()
    with write_session() as session:
        # a run still "running" after hours was cut short (the process died); say so in the list
        session.connection().execute(update(StatementRun).where(
            StatementRun.state == 'running', StatementRun.started_at < utcnow() - STALE_AFTER).values(
            state='interrupted'))
        run = StatementRun(period=f'{on:%Y-%m}', started_by_user_id=started_by_user_id)
        session.add(run)
        session.flush()
        return int(run.id)


def run_statements(*, actor: Actor | None = None, run_id: int | None = None, on: date | None = None,
                   progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Issue this period's statements; safe to rerun (also after a crash) and to run twice at once.

    `actor`: the staff member starting it from the statement-runs page (anyone else is refused: NotFound,
    audited once); None for the scheduled job and the command line, where nobody signed in acts."""
    if actor is not None:
        with write_session() as session:
            require_staff(session, actor, purpose='statement_run')
    on = on or load_practice_today()
    period = f'{on:%Y-%m}'
    if run_id is None:
        run_id = start_run(started_by_user_id=actor.user_id if actor is not None else None, on=on)
    result = _Tally(run_id=run_id, period=period)
    try:
        _issue(result, on=on, progress=progress)
    except Exception:
        _finish(result, state='failed')
        raise
    _finish(result, state='finished')
    return RunResult(**asdict(result))


def settled_max_entry_id() -> int:
    """The newest ledger entry id such that every entry at or below it has committed (or never will).

    On PostgreSQL ids come from a sequence before commit: a transaction holding id 100 may commit after
    one holding 101, so a bare max(id) could put 100 on neither this statement nor the next. SHARE mode
    waits for every transaction that is inserting entries and holds new inserts only for this instant.
    SQLite has one writer at a time, so its max(id) is already settled.
    """
    with write_session() as session:
        if not is_sqlite(session.get_bind()):
            session.connection().execute(text('LOCK TABLE ledger_entry IN SHARE MODE'))
        return int(session.connection().execute(select(func.coalesce(func.max(LedgerEntry.id), 0))).scalar_one())


def _issue(result: _Tally, *, on: date, progress: Callable[[int, int], None] | None) -> None:
    settings = get_settings()
    max_entry_id = settled_max_entry_id()
    with read_session() as session:
        cadence_days, due_days = _cadence(session)
        held = _held_accounts(session, on)
        installments = _next_installments(session)
        waiting = waiting_by_account(session, upto_entry_id=max_entry_id)
        candidates = list(_candidates(session, max_entry_id))
    result.accounts_considered = len(candidates)
    latest_allowed = on - timedelta(days=cadence_days)
    due: list[tuple[_Candidate, Totals]] = []
    for candidate in candidates:
        totals = Totals.from_lines(candidate.previous_balance, candidate.by_line)
        if totals.new_balance - waiting.get(candidate.account_id, 0) <= 0 or candidate.last_period == result.period or (
                candidate.last_statement_date is not None and candidate.last_statement_date > latest_allowed):
            result.skipped_not_due += 1
        elif candidate.account_id in held:
            result.skipped_on_hold += 1
        else:
            due.append((candidate, totals))
    if progress:
        progress(0, len(due))
    for start in range(0, len(due), BATCH):
        batch = due[start:start + BATCH]
        try:
            with write_session() as session:
                created, emails = _write_batch(session, batch, result=result, on=on, due_days=due_days,
                                               max_entry_id=max_entry_id, installments=installments,
                                               waiting=waiting, base_url=settings.public_base_url)
                _save_counts(session, result, statements_created=result.statements_created + created)
        except Exception:  # noqa: BLE001  (one batch failing must not stop the others; a rerun retries it)
            log.exception('statement run %s: a batch of %d accounts failed', result.run_id, len(batch))
            result.errors += len(batch)
        else:
            result.statements_created += created
            result.emails_queued += emails
        if progress:
            progress(start + len(batch), len(due))


def _write_batch(session: Session, batch: list[tuple[_Candidate, Totals]], *, result: _Tally, on: date,
                 due_days: int, max_entry_id: int, installments: dict[int, int], waiting: dict[int, int],
                 base_url: str) -> tuple[int, int]:
    now = utcnow()
    rows = []
    for candidate, totals in batch:
        emailed = candidate.paperless and bool(candidate.email)
        held_out = min(waiting.get(candidate.account_id, 0), totals.new_balance)
        due_now = totals.new_balance - held_out
        rows.append({
            'account_id': candidate.account_id, 'run_id': result.run_id, 'period': result.period,
            'statement_date': on, 'due_date': on + timedelta(days=due_days), 'issued_at': now,
            'first_entry_id': candidate.first_entry_id, 'last_entry_id': max_entry_id,
            'previous_balance': totals.previous_balance, 'new_charges': totals.new_charges,
            'refunds': totals.refunds, 'insurance_payments': totals.insurance_payments,
            'adjustments': totals.adjustments, 'patient_payments': totals.patient_payments,
            'new_balance': totals.new_balance, 'waiting_for_insurance': held_out,
            'amount_due': min(due_now, installments.get(candidate.account_id, due_now)),
            'currency': 'USD', 'quick_pay_code': quick_pay_code(), 'delivery': 'email' if emailed else 'paper'})
    _insert(session, Statement.__table__, rows, ['account_id', 'period'])
    account_ids = [candidate.account_id for candidate, _ in batch]
    created = dict(session.connection().execute(
        select(Statement.account_id, Statement.id)
        .where(Statement.run_id == result.run_id, col(Statement.account_id).in_(account_ids))).all())
    if not created:
        return 0, 0
    session.connection().execute(
        update(Statement).where(col(Statement.account_id).in_(list(created)), Statement.period != result.period,
                                col(Statement.superseded_at).is_(None)).values(superseded_at=now))
    emails = [_email_row(candidate, created[candidate.account_id], base_url=base_url, now=now)
              for candidate, _ in batch if candidate.account_id in created and candidate.paperless and candidate.email]
    if emails:
        _insert(session, Notification.__table__, emails, ['dedupe_key'])
    return len(created), len(emails)


STATEMENT_READY = 'statement_ready'
_EMAIL_FIELDS = frozenset({'first_name', 'link'})
assert _EMAIL_FIELDS <= templates.get(STATEMENT_READY).fields  # no PHI: only what the template allows


def _email_row(candidate: _Candidate, statement_id: int, *, base_url: str, now) -> dict:  # noqa: ANN001
    context = {'first_name': candidate.first_name, 'link': f'{base_url}/statements/{statement_id}'}
    return {'channel': 'email', 'template': STATEMENT_READY, 'recipient': candidate.email,
            'account_id': candidate.account_id, 'dedupe_key': f'statement-ready:{statement_id}',
            'context_json': json.dumps(context, sort_keys=True), 'status': 'pending', 'created_at': now,
            'send_after': now, 'attempts': 0, 'last_error': ''}


def _save_counts(session: Session, result: _Tally, **overrides: object) -> None:
    counts = {'accounts_considered': result.accounts_considered, 'statements_created': result.statements_created,
              'skipped_on_hold': result.skipped_on_hold, 'skipped_not_due': result.skipped_not_due,
              'errors': result.errors, **overrides}
    session.connection().execute(update(StatementRun).where(StatementRun.id == result.run_id).values(**counts))


def _finish(result: _Tally, *, state: str) -> None:
    with write_session() as session:
        _save_counts(session, result, state=state, finished_at=utcnow(), errors=result.errors + (state == 'failed'))


@dataclass(frozen=True)
class RunRow:
    """One past run, as the staff statement-runs page lists it."""
    id: int
    period: str
    started_at: datetime
    state: str
    accounts_considered: int
    statements_created: int
    skipped_on_hold: int
    skipped_not_due: int


def recent_runs(session: Session, /, *, actor: Actor, limit: int = 20) -> tuple[RunRow, ...]:
    """The newest runs first (staff only: anyone else is refused)."""
    require_staff(session, actor, purpose='view_statement_runs')
    runs = session.scalars(select(StatementRun).order_by(col(StatementRun.id).desc()).limit(limit))
    return tuple(RunRow(id=run.id, period=run.period, started_at=run.started_at, state=run.state,
                        accounts_considered=run.accounts_considered, statements_created=run.statements_created,
                        skipped_on_hold=run.skipped_on_hold, skipped_not_due=run.skipped_not_due) for run in runs)

