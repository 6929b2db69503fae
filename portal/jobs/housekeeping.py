"""Daily housekeeping: drop expired rate-limit hits and password-reset tokens, and old job runs."""
from __future__ import annotations

import logging

from portal.jobs.runs import prune_runs

log = logging.getLogger(__name__)


def run() -> int:
    from portal.services.identity.admin import purge_expired_security_rows
    removed = purge_expired_security_rows() + prune_runs()
    log.info('housekeeping removed %d expired rows', removed)
    return removed
