"""Composition root: settings -> database -> pages and routes -> scheduler on start-up -> ui.run."""
from __future__ import annotations

import asyncio
import atexit
import logging
import os
import sys
from pathlib import Path

from portal.config import ConfigError, reload_settings

settings = reload_settings()
if settings.redis_url:  # NiceGUI reads this when it is imported: shared storage for several processes
    os.environ.setdefault('NICEGUI_REDIS_URL', settings.redis_url)

from nicegui import app, run, ui  # noqa: E402

import pages  # noqa: E402
from components import live  # noqa: E402
from pages.system import Readiness  # noqa: E402
from portal import db  # noqa: E402
from portal.jobs.scheduler import SchedulerService  # noqa: E402
from portal.services import practice  # noqa: E402
from portal.startup import prepare_database  # noqa: E402

logging.basicConfig(level=logging.INFO, format='%(asctime)s %(levelname)s %(name)s: %(message)s')
try:
    settings.check_startup()
except ConfigError as error:
    print(error, file=sys.stderr)
    raise SystemExit(2) from None
for warning in settings.startup_warnings():
    print(warning, file=sys.stderr, flush=True)

db.init_engine(settings.database_url)
scheduler = SchedulerService(enabled=settings.scheduler == 'on')
practice_refresher = practice.CacheRefresher()  # pages never wait on the database for the practice's facts
pages.register(scheduler)


async def start() -> None:
    Readiness.ready = Readiness.failed = False
    try:
        await run.io_bound(prepare_database, settings)
    except ConfigError as error:
        print(error, file=sys.stderr)
        fail_start()
        return
    except Exception:
        logging.getLogger('settle').exception('start-up failed')
        fail_start()
        return
    await run.io_bound(practice.refresh_cached)
    practice_refresher.start()
    await run.io_bound(scheduler.start)
    live.start(settings.database_url)  # this process's one live-update listener (a thread)
    Readiness.ready = True


def fail_start() -> None:
    """Stop serving and make the process exit non-zero, so a supervisor sees a failed start."""
    Readiness.failed = True
    atexit.register(os._exit, 3)
    app.shutdown()


async def stop() -> None:
    await live.stop()
    practice_refresher.stop()
    await asyncio.to_thread(scheduler.stop)  # run.io_bound does nothing once the app is stopping
    db.dispose_engine()


app.on_startup(start)
app.on_shutdown(stop)

if __name__ in {'__main__', '__mp_main__'}:
    ui.run(host=settings.host, port=settings.port, reload=settings.reload, show=False,
           title=settings.practice_name, favicon=Path(__file__).parent / 'assets' / 'logo.svg',
           storage_secret=settings.storage_secret, language='en-US', reconnect_timeout=10,
           show_welcome_message=False, forwarded_allow_ips=settings.forwarded_allow_ips,
           session_middleware_kwargs={'https_only': settings.https, 'same_site': 'lax'})
