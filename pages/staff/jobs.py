"""Staff: the scheduled jobs, each with its last run (time, outcome, items, error) and next run; admins
can run one now (off the event loop; each job is an idempotent sweep, so a second run does no harm)."""
from __future__ import annotations

from nicegui import run, ui

from components import chips, forms, session, theme
from components.calls import call
from components.frame import frame
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.jobs import runs
from portal.jobs.scheduler import SchedulerService
from portal.services import operations

TITLES = {'housekeeping': 'Housekeeping', 'deliver_notifications': 'Send notifications', 'reminders': 'Reminders'}


def register(scheduler: SchedulerService) -> None:
    @ui.page('/staff/jobs', response_timeout=60)
    async def jobs_page() -> None:
        auth = session.current_auth()
        assert auth is not None
        is_admin = auth.get('role') == 'admin'
        with frame('Jobs', auth=auth, path='/staff/jobs'):
            ui.label('Scheduled jobs').classes(theme.H1).props('role=heading aria-level=1')
            state = scheduler.state
            explanation = {'running': 'This server runs the scheduled jobs.',
                           'standby': 'Another server runs the scheduled jobs; this one is on standby.',
                           'off': 'The scheduler is off on this server (PORTAL_SCHEDULER=off).'}[state]
            ui.label(f'Scheduler: {state}. {explanation}').classes('text-slate-700').mark('scheduler-state')

            @ui.refreshable
            async def job_list() -> None:
                next_runs = await run.io_bound(scheduler.next_runs) if state == 'running' else {}
                statuses = await call(operations.job_statuses, actor=session.actor(), next_runs=next_runs)
                with ui.grid().classes('w-full grid-cols-1 lg:grid-cols-2 gap-4'):
                    for status in statuses:
                        _job_card(status, state, is_admin, run_now)

            async def run_now(job_id: str) -> None:
                try:
                    result = await call(runs.run_now, actor=session.actor(), job_id=job_id)
                except DomainError as failure:
                    ui.notify(failure.message, type='negative')
                    return
                if result.outcome == 'ok':
                    ui.notify(f'{job_id} ran: {result.items} item(s).', type='positive')
                elif result.outcome == 'busy':
                    ui.notify(f'{job_id} is already running.', type='warning')
                else:
                    ui.notify(f'{job_id} failed: {result.error}', type='negative')
                job_list.refresh()

            await job_list()


def _job_card(status: operations.JobStatus, state: str, is_admin: bool, run_now) -> None:  # noqa: ANN001
    with ui.column().classes(theme.CARD + ' gap-2').mark(f'job-{status.id}'):
        with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(TITLES.get(status.id, status.id.replace('_', ' ').capitalize())).classes(theme.H2)
                ui.label(status.id).classes('text-xs text-slate-600 break-all font-mono')
            chips.chip(status.outcome, chips.look(status.outcome, chips.JOB)[1])
        ui.label(status.schedule).classes(theme.MUTED)
        with ui.element('dl').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm w-full'):
            _pair('Last run', forms.date_time(status.last_started))
            _pair('Finished', forms.date_time(status.last_finished))
            _pair('Items', str(status.items))
            _pair('Next run', forms.date_time(status.next_run) if state == 'running' else state)
            if status.error:
                _pair('Error', status.error, extra='text-red-800 break-all')
        if is_admin:
            button = ui.button('Run now', icon='play_arrow').props('outline no-caps') \
                .mark(f'run-{status.id}').classes('self-start') \
                .props(f'data-testid=run-{status.id} aria-label="Run now: {status.id}"')
            # each card's button runs its job once at a time; a double click starts it once
            button.on_click(OneAtATime(lambda job_id=status.id: run_now(job_id)).disables(button))


def _pair(term: str, value: str, extra: str = 'text-slate-900') -> None:
    with ui.element('dt').classes('text-slate-600'):
        ui.label(term)
    with ui.element('dd').classes(extra):
        ui.label(value)
