"""Daily: the staff digest of threads past their expected reply date, claimed once per practice day
(JobRun job 'staff_message_digest', key YYYY-MM-DD)."""
from __future__ import annotations

import logging

from portal.db import write_session
from portal.jobs.runs import claimed_run
from portal.services.messaging.staff_digest import queue_staff_digest
from portal.services.practice import load_practice_today as practice_today

log = logging.getLogger(__name__)


def run() -> int:
    today = practice_today()
    with claimed_run('staff_message_digest', today.isoformat()) as handle:
        if handle is None:
            return 0
        with write_session() as session:
            handle.items = queue_staff_digest(session, on=today)
        log.info('staff digest %s: %d queued', today, handle.items)
        return handle.items
    return 0
