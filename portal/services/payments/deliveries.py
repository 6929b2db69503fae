"""Deliveries of gateway events (a webhook request, a demo checkout): verified, queued, and written by this
process's one writer in group-commit batches, each event in its own savepoint (events.record_and_apply)."""
from __future__ import annotations

import threading

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from portal.db import write_session
from portal.payments.gateway import GatewayEvent
from portal.services.payments.events import record_and_apply


class _Delivery:
    """Events from one request, waiting for the writer; outcomes (or error) are set after the commit."""

    __slots__ = ('done', 'error', 'events', 'gateway_name', 'outcomes')

    def __init__(self, events: list[GatewayEvent], gateway_name: str) -> None:
        self.events, self.gateway_name = events, gateway_name
        self.outcomes: list[str] = []
        self.error: BaseException | None = None
        self.done = False


_waiting: list[_Delivery] = []
_waiting_lock = threading.Lock()
_writer = threading.Lock()


def process_events(*, events: list[GatewayEvent], gateway_name: str) -> tuple[str, ...]:
    """Store each event id once and apply it; return the outcomes once they are committed.

    Group commit: one writer per process. Deliveries that arrive while it writes wait, and the next
    writer applies all of them in one transaction, each event in its own savepoint (a bad event rolls
    back alone), so a burst of webhooks costs one commit (one fsync on SQLite) per batch instead of
    one per event. Nobody returns before the transaction holding their events has committed.
    """
    if not events:
        return ()
    delivery = _Delivery(list(events), gateway_name)
    with _waiting_lock:
        _waiting.append(delivery)
    with _writer:  # whoever holds it took every delivery queued before it: ours is done or in the batch
        if not delivery.done:
            with _waiting_lock:
                batch = _waiting[:]
                _waiting.clear()
            _write_batch(batch)
    if delivery.error is not None:
        raise delivery.error
    return tuple(delivery.outcomes)


def _write_batch(batch: list[_Delivery]) -> None:
    try:
        with write_session() as session:
            for delivery in batch:
                try:
                    for event in delivery.events:
                        delivery.outcomes.append(_record_in_savepoint(session, event, delivery.gateway_name))
                except Exception as error:  # this delivery answers with its error; the others go on
                    delivery.error = error
    except BaseException as error:  # the commit failed: nothing was stored, every delivery hears it
        for delivery in batch:
            delivery.error = delivery.error or error
            delivery.outcomes = []
        if not isinstance(error, Exception):
            raise
    finally:
        for delivery in batch:
            delivery.done = True


def _record_in_savepoint(session: Session, event: GatewayEvent, gateway_name: str) -> str:
    try:
        try:
            with session.begin_nested():
                return record_and_apply(session, event, gateway_name=gateway_name)
        except BaseException:
            # rows inserted past the unit of work (insert_row) are gone with the savepoint, but their objects
            # would stay in the session under ids the next insert may reuse: forget every object (earlier
            # events were flushed when their savepoints were released, so nothing pending is lost)
            session.expunge_all()
            raise
    except IntegrityError:  # a concurrent delivery of the same event committed first: nothing to do
        return 'duplicate'



def handle_webhook(*, payload: bytes, signature_header: str | None) -> tuple[str, ...]:
    """Verify (raises WebhookRejected: answer 400, nothing changed), then store and apply each event once."""
    from portal.payments.registry import gateway
    chosen = gateway()
    events = chosen.parse_webhook(payload, signature_header)
    return process_events(events=events, gateway_name=chosen.name)
