"""Paying a plan's next installment now (ahead of its date, or one paid by hand): an attempt for exactly
what it still needs, paid on the gateway's hosted checkout page; the ledger then covers the installment."""
from __future__ import annotations

from portal.auth.permissions import Actor, require_account
from portal.db import read_session, write_session
from portal.errors import DomainError, NotFound
from portal.models import PaymentPlan
from portal.services.attempt_targets import plan_pay_target
from portal.services.payments import attempts, core, hosted_checkout
from portal.services.plans import coverage


def pay_next_now(*, actor: Actor, plan_id: int) -> str:
    """Where to send the browser to pay the plan's next open installment (opens its own sessions; raises
    PaymentUnderWay when another payment of the account is in flight, nothing charged)."""
    with read_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        if plan is None:
            raise NotFound()
        account_id = plan.account_id
    attempt_id = attempts.reserve(lambda: _store(actor, plan_id), account_id=account_id)
    assert attempt_id is not None
    return hosted_checkout.checkout_for_attempt(attempt_id, user_id=actor.user_id)


def _store(actor: Actor, plan_id: int) -> int | None:
    with write_session() as session:
        plan = session.get(PaymentPlan, plan_id)
        if plan is None:
            raise NotFound()
        require_account(session, actor, plan.account_id, purpose='pay_plan')
        if plan.status not in coverage.ACTIVE:
            raise DomainError('This plan has ended.')
        standing = coverage.reconcile(session, plan)
        row = next((row for row in coverage.installments(session, plan.id) if standing.due_now.get(row.id)), None)
        if row is None:
            raise DomainError('Nothing is left to pay on this plan.')
        # its own target: autopay's attempts ('installment:<id>:try-<n>') never reuse this one, nor it theirs
        return attempts.open_attempt(session, account_id=plan.account_id, target=plan_pay_target(row.id),
                                     amount=standing.due_now[row.id], idempotency_key=core.new_key('plan'),
                                     user_id=actor.user_id).id
