"""Charging plan installments that are due (and retries that are due), off-session, with autopay; run
daily by portal.jobs.autopay, and for one plan when it is signed (its down payment).

A sweep over due rows, safe to kill at any point and run again:
1. claim: in one transaction the installment gets attempt n, the amount to charge and status
   'processing'; its key `plan-<plan>-inst-<seq>-try-<n>` is thereby stored before any charge;
2. charge: `charge_saved_method` with that key (it stores its attempt before calling the gateway,
   and the gateway and the ledger both honour the key);
3. record the outcome: paid; processing (ACH: looked at again next run); or failed, retried 3 and 7
   days after the due date, after which the plan is past due (delinquent), the patient is asked to
   update the payment method and the account shows in the staff queue.
A rerun finds a 'processing' installment and resumes attempt n with the same key and amount, or
reads its outcome from the stored attempt: no installment is charged twice and none is skipped.
When a payment the patient started is still in flight on the account and the installment does not fit
beside it under what is owed (PaymentUnderWay), the claim is given back and the next sweep looks again.
Plans paid by hand are not charged: one still unpaid a week after its date turns the plan past due.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, true
from sqlmodel import Session, col, select

from portal.clock import utcnow
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.errors import DomainError
from portal.models import (
    AttemptStatus,
    InstallmentStatus,
    Payment,
    PaymentAttempt,
    PaymentPlan,
    PlanInstallment,
    PlanStatus,
)
from portal.services.attempt_targets import installment_target
from portal.services.payments.attempts import PaymentUnderWay
from portal.services.plans import coverage, notices
from portal.services.practice import load_practice_today

log = logging.getLogger(__name__)
RETRY_AFTER_DAYS = (3, 7)  # after the due date; a failure after the last retry makes the plan past due
MANUAL_GRACE_DAYS = 7
UNDER_WAY = 'under_way'
# a finished attempt's outcome
TERMINAL = {AttemptStatus.succeeded: 'succeeded', AttemptStatus.processing: 'processing',
            AttemptStatus.failed: 'failed', AttemptStatus.cancelled: 'failed', AttemptStatus.expired: 'failed'}


def idempotency_key(plan_id: int, seq: int, attempt: int) -> str:
    return f'plan-{plan_id}-inst-{seq}-try-{attempt}'


@dataclass(frozen=True)
class SweepResult:
    charged: int = 0
    failed: int = 0
    processing: int = 0
    covered: int = 0
    waiting: int = 0  # left for the next sweep: a payment of the account was under way
    delinquent: int = 0
    errors: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    @property
    def items(self) -> int:
        return self.charged + self.failed + self.processing + self.covered

    def describe(self) -> str:
        return (f'{self.charged} charged, {self.failed} failed, {self.processing} processing, {self.covered} '
                f'already paid, {self.waiting} waiting for a payment under way, {self.delinquent} now past due, '
                f'{self.errors} errors')


@dataclass(frozen=True)
class Claim:
    installment_id: int
    plan_id: int
    account_id: int
    method_id: int
    seq: int
    attempt: int
    amount: int
    key: str
    resumed: bool  # claimed by an earlier run that did not record its outcome
    # the installment's status before this claim (given back to it on a skip)
    before: InstallmentStatus = InstallmentStatus.scheduled


def charge(**kwargs: Any) -> Any:  # noqa: ANN401  (a ChargeOutcome)
    from portal.services.payments import charge_saved_method
    return charge_saved_method(**kwargs)


def due_installment_ids(today: date, plan_id: int | None = None) -> list[int]:
    with read_session() as session:
        return list(session.exec(
            select(PlanInstallment.id).join(PaymentPlan, col(PaymentPlan.id) == PlanInstallment.plan_id)
            .where(PaymentPlan.status == PlanStatus.active, col(PaymentPlan.autopay_method_id).is_not(None),
                   PaymentPlan.id == plan_id if plan_id is not None else true(),
                   or_(and_(PlanInstallment.status == InstallmentStatus.scheduled,
                            col(PlanInstallment.due_date) <= today),
                       and_(PlanInstallment.status == InstallmentStatus.failed,
                            col(PlanInstallment.next_retry_on) <= today),
                       PlanInstallment.status == InstallmentStatus.charging))
            .order_by(col(PlanInstallment.plan_id), col(PlanInstallment.seq))).all())


def process_plan(plan_id: int) -> SweepResult:
    """Charge what one plan has due now (the down payment right after signing); the same claims as the sweep."""
    return sweep(plan_id=plan_id)


def sweep(*, today: date | None = None, plan_id: int | None = None) -> SweepResult:
    today = today or load_practice_today()
    tally: Counter[str] = Counter()  # SweepResult field -> count
    outcomes: Counter[str] = Counter()
    for installment_id in due_installment_ids(today, plan_id):
        try:
            outcome = process(installment_id, today)
        except Exception:  # one bad row must not stop the batch; it is swept again next run
            log.exception('autopay: installment %s failed unexpectedly', installment_id)
            tally['errors'] += 1
            continue
        outcomes[outcome] += 1
        if outcome == 'succeeded':
            tally['charged'] += 1
        elif outcome in ('failed', 'requires_action', 'delinquent'):
            tally['failed'] += 1
            tally['delinquent'] += outcome == 'delinquent'
        elif outcome == 'processing':
            tally['processing'] += 1
        elif outcome == 'covered':
            tally['covered'] += 1
        elif outcome == UNDER_WAY:
            tally['waiting'] += 1
    if plan_id is None:
        tally['delinquent'] += past_due_manual_plans(today)
    return SweepResult(**tally, outcomes=dict(outcomes))


def process(installment_id: int, today: date) -> str:
    with write_session() as session:
        claim = _claim(session, installment_id, today)
    if isinstance(claim, str):
        return claim
    status, payment_id, message = _charge_once(claim)
    with write_session() as session:
        if status == UNDER_WAY:
            return _give_back(session, claim)
        return _record(session, claim, status=status, payment_id=payment_id, message=message, today=today)


def _claim(session: Session, installment_id: int, today: date) -> Claim | str:
    row = session.get(PlanInstallment, installment_id)
    plan = session.get(PaymentPlan, row.plan_id) if row else None
    if row is None or plan is None or plan.status != PlanStatus.active or plan.autopay_method_id is None:
        return 'skipped'
    resumed, before = row.status == InstallmentStatus.charging, row.status
    if not resumed:
        standing = coverage.reconcile(session, plan)
        due = standing.due_now.get(row.id, 0)
        if row.status not in coverage.OPEN or due <= 0:
            return 'covered'
        row.attempts += 1
        row.status, row.claimed_amount, row.last_attempt_at = InstallmentStatus.charging, due, utcnow()
        session.flush()
    amount = row.claimed_amount or row.amount
    return Claim(installment_id=row.id, plan_id=plan.id, account_id=plan.account_id,
                 method_id=plan.autopay_method_id, seq=row.seq, attempt=row.attempts, amount=amount,
                 key=idempotency_key(plan.id, row.seq, row.attempts), resumed=resumed, before=before)


def _give_back(session: Session, claim: Claim) -> str:
    """Undo a claim whose charge was refused before anything reached the gateway: as if never claimed."""
    row = session.get(PlanInstallment, claim.installment_id)
    if claim.resumed:  # an earlier run's call may have reached the gateway: resume this key next run
        return 'processing'
    if row is not None and row.status == InstallmentStatus.charging and row.attempts == claim.attempt:
        row.status, row.attempts, row.claimed_amount = claim.before, row.attempts - 1, None
    log.info('autopay: installment %s waits: a payment of the account is under way', claim.installment_id)
    return UNDER_WAY


def _charge_once(claim: Claim) -> tuple[str, int | None, str]:
    """(status, payment id, message): from the stored attempt when it already finished, else by charging."""
    if claim.resumed:
        with read_session() as session:
            attempt = session.exec(select(PaymentAttempt).where(PaymentAttempt.idempotency_key == claim.key)).first()
            if attempt is not None and attempt.status in TERMINAL:
                payment_id = session.exec(select(Payment.id).where(Payment.attempt_id == attempt.id)).first()
                return TERMINAL[attempt.status], payment_id, attempt.error_message
    try:  # a target per attempt: the payments core reuses an open attempt of the same target, and a retry
        # must never ride on an earlier key (say a try the bank held for confirmation that is still open)
        outcome = charge(account_id=claim.account_id, method_id=claim.method_id, amount=claim.amount,
                         target=installment_target(claim.installment_id, claim.attempt), idempotency_key=claim.key,
                         description=f'Plan payment {claim.seq}', close_checkouts=False)
    except PaymentUnderWay as refused:  # a patient's payment is in flight: never close their checkout
        return UNDER_WAY, None, refused.message
    except DomainError as refused:  # the method was removed, or the amount is no longer payable
        return 'failed', None, refused.message
    if outcome.status == 'failed' and _still_open(outcome.attempt_id):
        # the gateway could not be reached: it may have charged. Resume this key next run, never a new one.
        log.warning('autopay: %s not answered (%s); resumed next run', claim.key, (outcome.message or '')[:80])
        return 'processing', None, outcome.message or ''
    return outcome.status, outcome.payment_id, outcome.message or ''


def _still_open(attempt_id: int | None) -> bool:
    if attempt_id is None:
        return False
    with read_session() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        return attempt is not None and attempt.status == AttemptStatus.open


def _record(session: Session, claim: Claim, *, status: str, payment_id: int | None, message: str,
            today: date) -> str:
    row = session.get(PlanInstallment, claim.installment_id)
    plan = session.get(PaymentPlan, claim.plan_id)
    assert row is not None and plan is not None
    if row.status != InstallmentStatus.charging or row.attempts != claim.attempt:
        return 'skipped'  # someone else recorded it meanwhile
    if status == 'processing':
        return 'processing'
    if status == 'succeeded':
        row.status, row.payment_id, row.next_retry_on = InstallmentStatus.paid, payment_id, None
        coverage.reconcile(session, plan, today=today)  # completes the plan only on settled money
        return 'succeeded'
    row.status = InstallmentStatus.failed
    failures = row.attempts
    link = f'{get_settings().public_base_url}/plans'
    if failures > len(RETRY_AFTER_DAYS):
        row.next_retry_on = None
        coverage.mark_delinquent(session, plan)
        _notify(session, plan, 'payment_method_update', f'plan-{plan.id}-inst-{row.seq}-delinquent',
                amount=claim.amount, link=f'{get_settings().public_base_url}/payment-methods')
        return 'delinquent'
    row.next_retry_on = max(today + timedelta(days=1), row.due_date + timedelta(days=RETRY_AFTER_DAYS[failures - 1]))
    if status == 'requires_action':
        _notify(session, plan, 'payment_action_needed', claim.key, amount=claim.amount, link=link)
        return 'requires_action'
    _notify(session, plan, 'payment_failed', claim.key, amount=claim.amount, link=link)
    log.info('autopay: %s failed (%s); retry on %s', claim.key, message[:80], row.next_retry_on)
    return 'failed'


def _notify(session: Session, plan: PaymentPlan, template: str, dedupe_key: str, *, amount: int, link: str) -> None:
    notices.notify_guarantor(session, plan, template, dedupe_key, amount=amount, link=link)


def past_due_manual_plans(today: date) -> int:
    """Plans paid by hand whose installment is still open a week after its date become past due."""
    cutoff = today - timedelta(days=MANUAL_GRACE_DAYS)
    with read_session() as session:
        plan_ids = list(session.exec(
            select(PaymentPlan.id).join(PlanInstallment, col(PlanInstallment.plan_id) == PaymentPlan.id)
            .where(PaymentPlan.status == PlanStatus.active, col(PaymentPlan.autopay_method_id).is_(None),
                   PlanInstallment.status == InstallmentStatus.scheduled, col(PlanInstallment.due_date) <= cutoff)
            .distinct()).all())
    turned = 0
    for plan_id in plan_ids:
        with write_session() as session:
            plan = session.get(PaymentPlan, plan_id)
            if plan is None or plan.status != PlanStatus.active:
                continue
            standing = coverage.reconcile(session, plan)
            late = [row for row in coverage.installments(session, plan_id)
                    if row.id in standing.due_now and row.due_date <= cutoff]
            if late and plan.status == PlanStatus.active:
                coverage.mark_delinquent(session, plan)
                _notify(session, plan, 'payment_failed', f'plan-{plan_id}-inst-{late[0].seq}-missed',
                        amount=standing.due_now[late[0].id], link=f'{get_settings().public_base_url}/plans')
                turned += 1
    return turned
