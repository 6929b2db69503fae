"""Admins: the audit log at /staff/admin/audit: filter by who (email), action, account number and the
practice's calendar days; 50 events a page, newest first; CSV export of the filtered events (audited)."""
from __future__ import annotations

from datetime import date

from nicegui import ui

from components import forms, session, theme
from components.calls import read, write
from components.frame import frame
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.services import audit_log
from portal.services.audit_log import AuditFilter

PATH = '/staff/admin/audit'
COLUMNS = [
    {'name': 'at', 'label': 'When', 'field': 'at', 'align': 'left', 'classes': 'whitespace-nowrap'},
    {'name': 'who', 'label': 'Who', 'field': 'who', 'align': 'left'},
    {'name': 'action', 'label': 'Action', 'field': 'action', 'align': 'left'},
    {'name': 'entity', 'label': 'Record', 'field': 'entity', 'align': 'left'},
    {'name': 'account', 'label': 'Account', 'field': 'account', 'align': 'left'},
    {'name': 'outcome', 'label': 'Outcome', 'field': 'outcome', 'align': 'left'},
    {'name': 'detail', 'label': 'Detail', 'field': 'detail', 'align': 'left', 'classes': 'whitespace-normal'},
]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def register() -> None:
    @ui.page(PATH, response_timeout=60)
    async def audit_page(who: str = '', action: str = '', account: str = '', start: str = '', end: str = '',
                         page: str = '1') -> None:
        auth = session.current_auth()
        assert auth is not None
        state = {'page': int(page) if page.isdigit() and len(page) <= 6 else 1}  # a mangled link: the first page
        with frame('Audit log', auth=auth, path=PATH):
            ui.label('Audit log').classes(theme.H1).props('role=heading aria-level=1')
            with ui.column().classes(theme.CARD + ' gap-3').mark('audit-filters'):
                with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-3'):
                    who_input = ui.input('Who (email)', value=who[:254]).props('outlined clearable') \
                        .mark('filter-who')
                    action_select = ui.select({'': 'Any action'}, value='', label='Action') \
                        .props('outlined').mark('filter-action')
                    account_input = ui.input('Account number', value=account[:20]).props('outlined clearable') \
                        .mark('filter-account')
                    start_input = ui.input('From (day)', value=start[:10]).props('outlined type=date stack-label') \
                        .mark('filter-from')
                    end_input = ui.input('To (day)', value=end[:10]).props('outlined type=date stack-label') \
                        .mark('filter-to')
                error = forms.error_message()
                with ui.row().classes('gap-2'):
                    ui.button('Search', icon='search', on_click=lambda: search()).props('unelevated no-caps') \
                        .mark('filter-submit')
                    export_button = ui.button('Export CSV', icon='download').props('outline no-caps') \
                        .mark('export')

            def current() -> AuditFilter:
                return AuditFilter(who=who_input.value or '', action=action_select.value or '',
                                   account_number=account_input.value or '', date_from=_day(start_input.value),
                                   date_to=_day(end_input.value))

            @ui.refreshable
            async def results() -> None:
                forms.set_error(error, '')
                try:
                    found = await read(audit_log.audit_page, actor=session.actor(), where=current(),
                                       page=state['page'])
                except DomainError as failure:
                    forms.set_error(error, failure.message)
                    return
                action_select.set_options({'': 'Any action', **{name: name for name in found.actions}},
                                          value=action_select.value if action_select.value in found.actions else '')
                ui.label(f'{found.total} event(s) · page {found.page} of {found.pages}').classes(theme.MUTED) \
                    .mark('audit-count')
                rows = [{'id': row.id, 'at': forms.date_time(row.at), 'who': row.who or '—', 'action': row.action,
                         'entity': row.entity, 'account': row.account_number, 'outcome': row.outcome,
                         'detail': row.detail} for row in found.rows]
                ui.table(columns=COLUMNS, rows=rows, row_key='id') \
                    .props('flat bordered wrap-cells dense') \
                    .classes('w-full').mark('audit-table')
                with ui.row().classes('gap-2 items-center'):
                    ui.button('Newer', icon='chevron_left', on_click=lambda: turn(-1)).props('flat no-caps') \
                        .set_enabled(found.page > 1)
                    ui.button('Older', icon='chevron_right', on_click=lambda: turn(1)).props('flat no-caps') \
                        .set_enabled(found.page < found.pages)
                state['page'] = found.page

            def search() -> None:
                state['page'] = 1
                results.refresh()

            def turn(step: int) -> None:
                state['page'] += step
                results.refresh()

            @OneAtATime
            async def export() -> None:
                forms.set_error(error, '')
                try:
                    text = await write(audit_log.export_audit_csv, actor=session.actor(), where=current())
                except DomainError as failure:
                    forms.set_error(error, failure.message)
                    return
                ui.download.content(text.encode(), 'audit-log.csv', 'text/csv')

            export_button.on_click(export)
            export.disables(export_button)
            with ui.column().classes(theme.CARD + ' gap-2 overflow-x-auto'):
                await results()
