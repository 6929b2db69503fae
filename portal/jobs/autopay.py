"""Daily: charge the plan installments (and retries) that are due, with autopay (portal.services.autopay)."""
from __future__ import annotations

import logging

from portal.clock import utcnow
from portal.jobs.runs import claimed_run
from portal.services.autopay import SweepResult, sweep

log = logging.getLogger(__name__)
JOB = 'autopay_installments'


def run() -> SweepResult | None:
    """`python -m portal autopay`: one recorded run per call (the sweep itself is what makes reruns safe)."""
    result = None
    with claimed_run(JOB, key=utcnow().isoformat(timespec='seconds')) as job_run:
        if job_run is None:
            return None
        result = sweep()
        job_run.items = result.items
        log.info('autopay: %s', result.describe())
    return result


def scheduled() -> int:
    """The scheduler's entry point: runs.execute records the run, so no claim of its own here."""
    result = sweep()
    log.info('autopay: %s', result.describe())
    return result.items
