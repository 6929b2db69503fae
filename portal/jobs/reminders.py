"""Daily: queue the reminders that are due (portal.services.reminders); the senders check each again
at send time. The scheduler's runs.execute records the run and its count."""
from __future__ import annotations

import logging

from portal.services.reminders import queue_reminders

log = logging.getLogger(__name__)


def run() -> int:
    """Queue every reminder that is due and not yet queued; returns how many messages were queued."""
    queued = queue_reminders()
    log.info('reminders: %d queued', queued)
    return queued
