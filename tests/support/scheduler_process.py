"""One scheduler process for the two-process test: `python -m tests.support.scheduler_process URL RUN_AT`.

It registers the real jobs plus an hourly 'probe' job first due at RUN_AT (ISO time), prints its state
('state running' / 'state standby') whenever it changes, and stops cleanly on SIGTERM. The probe
reports this process's id as its item count, so the test can tell which process ran it.
"""
from __future__ import annotations

import os
import signal
import sys
import time


def probe() -> int:
    return os.getpid()


def main() -> None:
    url, run_at = sys.argv[1], sys.argv[2]
    os.environ['PORTAL_DATABASE_URL'] = url
    from portal.config import reload_settings
    from portal.db import init_engine
    from portal.jobs import scheduler
    reload_settings()
    init_engine(url)
    scheduler.STANDBY_RETRY_SECONDS = 0.5
    scheduler.JOBS['probe'] = ('tests.support.scheduler_process:probe', 'interval',
                               {'hours': 1, 'start_date': run_at})
    service = scheduler.SchedulerService(enabled=True)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    service.start()
    shown = ''
    while not stopping:
        if service.state != shown:
            shown = service.state
            print(f'state {shown}', flush=True)
        time.sleep(0.05)
    service.stop()


if __name__ == '__main__':
    main()
