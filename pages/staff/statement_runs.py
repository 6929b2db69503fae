"""Statement runs for staff: start one (a progress bar while it works off the event loop) and
see past runs with their counts."""
from __future__ import annotations

from nicegui import ui

from components import forms, page, session, theme
from components.calls import call, read
from components.guards import OneAtATime
from portal.services import statement_run
from portal.services.statement_run import RunRow

COLUMNS = [
    {'name': 'period', 'label': 'Month', 'field': 'period', 'align': 'left'},
    {'name': 'started', 'label': 'Started', 'field': 'started', 'align': 'left'},
    {'name': 'state', 'label': 'State', 'field': 'state', 'align': 'left'},
    {'name': 'considered', 'label': 'Accounts', 'field': 'considered'},
    {'name': 'created', 'label': 'Statements', 'field': 'created'},
    {'name': 'hold', 'label': 'On hold', 'field': 'hold'},
    {'name': 'not_due', 'label': 'Not due', 'field': 'not_due'},
]


def _rows(runs: tuple[RunRow, ...]) -> list[dict]:
    return [{'id': run.id, 'period': run.period, 'started': forms.appointment_time(run.started_at),
             'state': run.state, 'considered': f'{run.accounts_considered:,}', 'created': f'{run.statements_created:,}',
             'hold': f'{run.skipped_on_hold:,}', 'not_due': f'{run.skipped_not_due:,}'} for run in runs]


def register() -> None:
    @ui.page('/staff/statement-runs', response_timeout=60)
    async def statement_runs_page() -> None:
        await page.show('Statement runs', path='/staff/statement-runs', draw=_runs,
                        load=lambda actor: read(statement_run.recent_runs, actor=actor))


def _runs(runs: tuple[RunRow, ...]) -> None:
    ui.label('Statement runs').classes(theme.H1).props('role=heading aria-level=1')
    progress = {'done': 0, 'total': 0}
    with ui.column().classes(theme.CARD + ' gap-3'):
        ui.label('Issue this month’s statements to every account that owes something and has not had one '
                 'in the last 28 days. Accounts on a statement hold are skipped. A second run this month '
                 'issues nothing twice.').classes('text-slate-700')
        bar = ui.linear_progress(value=0, show_value=False).props('size=12px rounded').classes('hidden') \
            .mark('run-progress')
        status = ui.label('').classes('text-slate-800').props('role=status').mark('run-status')
        button = ui.button('Start a statement run', icon='play_arrow').props('unelevated no-caps') \
            .mark('start-run')
    table = ui.table(columns=COLUMNS, rows=_rows(runs), row_key='id').classes('w-full').mark('runs')

    def show_progress() -> None:
        if progress['total']:
            bar.value = progress['done'] / progress['total']
            status.text = f'{progress["done"]:,} of {progress["total"]:,} statements written'

    timer = ui.timer(0.5, show_progress, active=False)

    @OneAtATime  # a second click while it runs starts nothing
    async def start() -> None:
        bar.classes(remove='hidden')
        status.text = 'Working out who is due a statement…'
        timer.activate()

        def report(done: int, total: int) -> None:  # called from the worker thread
            progress.update(done=done, total=total)

        try:
            result = await call(statement_run.run_statements, actor=session.actor(), progress=report)
        finally:
            timer.deactivate()
        bar.value = 1
        status.text = (f'Done: {result.statements_created:,} statements issued, '
                       f'{result.skipped_on_hold:,} on hold, {result.skipped_not_due:,} not due.')
        table.rows = _rows(await read(statement_run.recent_runs, actor=session.actor()))

    button.on_click(start.disables(button))
