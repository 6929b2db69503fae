"""One scheduler process for the two-process test: `python -m tests.support.scheduler_process URL GO_FILE`.

It registers the real jobs plus an hourly 'probe' job (first due in an hour), prints its state
('state running' / 'state standby') whenever it changes, and stops cleanly on SIGTERM. While it leads,
the appearance of GO_FILE makes the stored probe due now (once per process), so the test decides when
the probe runs instead of guessing how long start-up takes. The probe reports this process's id as its
item count, so the test can tell which process ran it.
"""
from __future__ import annotations

import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


def probe() -> int:
    return os.getpid()


def main() -> None:
    url, go = sys.argv[1], Path(sys.argv[2])
    os.environ['PORTAL_DATABASE_URL'] = url
    from portal.config import reload_settings
    from portal.db import init_engine
    from portal.job_catalogue import JOBS
    from portal.jobs import scheduler
    reload_settings()
    init_engine(url)
    scheduler.STANDBY_RETRY_SECONDS = 0.5
    first_run = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    JOBS['probe'] = ('tests.support.scheduler_process:probe', 'interval',
                  {'hours': 1, 'start_date': first_run})
    service = scheduler.SchedulerService(enabled=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    service.start()
    shown, triggered = '', False
    while not stopping:
        if service.state != shown:
            shown = service.state
            print(f'state {shown}', flush=True)
        if shown == 'running' and not triggered and go.exists():
            service._scheduler.modify_job('probe', next_run_time=datetime.now(UTC))  # noqa: SLF001
            triggered = True
        time.sleep(0.05)
    service.stop()


if __name__ == '__main__':
    main()
