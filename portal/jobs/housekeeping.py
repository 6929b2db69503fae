"""Daily housekeeping: drop expired rate-limit hits and password-reset tokens."""
from __future__ import annotations

import logging

from portal.jobs.runs import claimed_run

log = logging.getLogger(__name__)


def run() -> None:
    from portal.services.identity import purge_expired_security_rows
    with claimed_run('housekeeping') as job_run:
        if job_run is None:
            return
        job_run.items = purge_expired_security_rows()
        log.info('housekeeping removed %d expired security rows', job_run.items)
