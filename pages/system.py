"""Health check, static assets and the friendly error page (never a traceback)."""
from __future__ import annotations

import logging
from pathlib import Path

from nicegui import app, run, ui
from starlette.responses import JSONResponse

from components import theme
from portal import db
from portal.jobs.scheduler import SchedulerService

log = logging.getLogger(__name__)
ASSETS = Path(__file__).resolve().parent.parent / 'assets'


class Readiness:
    """Start-up (migrations, demo seeding) runs after the server accepts connections: until it is
    done /healthz answers 503 "starting", so a load balancer sends no traffic to a half-ready process."""
    ready = False
    failed = False


def register(scheduler: SchedulerService) -> None:
    app.add_static_files('/assets', ASSETS)
    theme.install()
    ui.add_head_html('<script src="/assets/activity.js" defer></script>', shared=True)

    @app.get('/healthz')
    async def healthz() -> JSONResponse:
        if not Readiness.ready:
            status = 'failed' if Readiness.failed else 'starting'
            return JSONResponse({'status': status, 'database': 'unknown', 'scheduler': scheduler.state},
                                status_code=503)
        try:
            await run.io_bound(db.ping)
            database = 'ok'
        except Exception:  # noqa: BLE001  (reported, not raised: this is the health check)
            log.warning('health check: database unreachable')
            database = 'error'
        body = {'status': 'ok' if database == 'ok' else 'error', 'database': database,
                'scheduler': scheduler.state}
        return JSONResponse(body, status_code=200 if database == 'ok' else 503)

    @app.on_exception
    def on_error(exception: Exception) -> None:
        # NiceGUI has logged it; tell the person, without a traceback. Money and records change only in
        # service transactions, which rolled back.
        try:
            ui.notify('Something went wrong and nothing was changed. Please try again.', type='negative')
        except Exception:  # noqa: BLE001  (no page to tell: a background task)
            log.warning('unhandled %s outside a page', type(exception).__name__)

    @app.on_page_exception
    def error_page(exception: Exception) -> None:
        log.error('page failed: %s', type(exception).__name__)
        with ui.column().classes(theme.NARROW_PAGE).props('role=main'):
            ui.label('Something went wrong').classes(theme.H1)
            ui.label('We could not show this page. Nothing was changed. Please try again in a moment.') \
                .classes('text-slate-700')
            ui.link('Go to your home page', '/').classes('text-teal-800')
