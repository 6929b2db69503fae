"""Daily housekeeping: drop expired rate-limit hits and password-reset tokens, old job runs, and
orphaned files (on disk without a row, or whose owner is gone)."""
from __future__ import annotations

import logging

from portal.db import write_session
from portal.jobs.runs import prune_runs

log = logging.getLogger(__name__)


def run() -> int:
    from portal.services.files import sweep_orphans
    from portal.services.identity.admin import purge_expired_security_rows
    from portal.services.messaging import attachments  # noqa: F401  (registers which messages still exist)
    removed = purge_expired_security_rows() + prune_runs()
    with write_session() as session:
        removed += sweep_orphans(session)
    log.info('housekeeping removed %d expired rows and orphaned files', removed)
    return removed
