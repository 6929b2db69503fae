"""Reconciliation: re-fetch intents (or, without one, checkouts) pending longer than 30 minutes and
settle them through the one handler; expire attempts that never reached the gateway's checkout within
a day. Per-item failures are logged and the sweep goes on. Run every 10 minutes by portal.jobs.payments."""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_
from sqlmodel import col, select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.models import AttemptStatus, PaymentAttempt
from portal.payments.gateway import GatewayError, IntentState, PaymentGateway
from portal.payments.registry import gateway
from portal.services.payments.events import apply_intent_state

log = logging.getLogger(__name__)
PENDING_AFTER = timedelta(minutes=30)
EXPIRE_AFTER = timedelta(hours=23)  # Stripe forgets idempotency keys after 24 hours
BATCH = 500


def reconcile_pending() -> int:
    """Settle what the gateway now knows of pending attempts and expire stale ones; returns how many settled."""
    chosen = gateway()
    now = utcnow()
    with read_session() as session:
        due = session.exec(select(PaymentAttempt.id, PaymentAttempt.gateway_intent_id,
                                  PaymentAttempt.gateway_session_id).where(
            col(PaymentAttempt.status).in_([AttemptStatus.open, AttemptStatus.processing]),
            PaymentAttempt.gateway == chosen.name,
            or_(col(PaymentAttempt.gateway_intent_id).is_not(None),
                col(PaymentAttempt.gateway_session_id).is_not(None)),
            PaymentAttempt.updated_at < now - PENDING_AFTER)
            .order_by(col(PaymentAttempt.id)).limit(BATCH)).all()
    settled = 0
    for attempt_id, intent_id, session_id in due:
        try:
            state, ended = _fetch(chosen, intent_id, session_id)
        except GatewayError as error:
            log.warning('reconcile: attempt %s could not be fetched: %s', attempt_id, error.message)
            continue
        try:
            with write_session() as session:
                outcome = apply_intent_state(session, state, attempt_id=attempt_id) if state else 'pending'
                attempt = session.get(PaymentAttempt, attempt_id)
                if attempt is not None:
                    attempt.updated_at = utcnow()  # looked at now: wait another half hour
                    if ended and attempt.status == AttemptStatus.open:  # its checkout expired unpaid
                        attempt.status = AttemptStatus.expired
        except Exception:  # noqa: BLE001  (one bad row must not stop the sweep)
            log.warning('reconcile: attempt %s could not be applied', attempt_id, exc_info=True)
            continue
        settled += outcome in ('posted', 'failed')
    with write_session() as session:
        stale = session.exec(select(PaymentAttempt).where(
            PaymentAttempt.status == AttemptStatus.open, col(PaymentAttempt.gateway_intent_id).is_(None),
            PaymentAttempt.created_at < now - EXPIRE_AFTER).limit(BATCH)).all()
        for attempt in stale:
            attempt.status, attempt.updated_at = AttemptStatus.expired, now
    return settled


def _fetch(chosen: PaymentGateway, intent_id: str | None, session_id: str | None) -> tuple[IntentState | None, bool]:
    """The attempt's intent (by its id, else through its checkout: Stripe makes a Checkout Session's
    intent only at payment) and whether its checkout expired without one."""
    if intent_id:
        return chosen.fetch_intent(intent_id), False
    assert session_id is not None
    checkout = chosen.fetch_checkout(session_id)
    return checkout.intent, checkout.intent is None and checkout.status == 'expired'
