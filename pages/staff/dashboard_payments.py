"""/staff/dashboard/payments: the payments behind a collections figure (a chart bar, a mix slice), paged,
their total (the figure) and a CSV download."""
from __future__ import annotations

from datetime import date

from nicegui import ui

from components import forms, page, theme
from components.calls import write
from components.pager import pager
from components.session import actor as current_actor
from portal.services import dashboard_payments
from portal.services.dashboard_payments import PaymentsDrill

CHANNELS = {'guest': 'Guest (quick pay)', 'signed_in': 'Signed in', 'office': 'Office', 'autopay': 'Autopay'}


def register() -> None:
    @ui.page('/staff/dashboard/payments', response_timeout=60)
    async def payments_drill(source: str = 'patient', start: str = '', end: str = '', method: str = '',
                             channel: str = '', page_number: int = 1) -> None:
        try:
            first, last = sorted((date.fromisoformat(start), date.fromisoformat(end)))  # as the dashboard reads it
        except ValueError:
            first = last = None
        figure = {'source': source, 'start': first, 'end': last, 'method': method or None, 'channel': channel or None}

        async def load(actor):  # noqa: ANN001, ANN202
            if first is None:
                return None
            try:
                return await write(dashboard_payments.payments_drill, actor=actor, page=page_number, **figure)
            except ValueError:
                return None  # an unknown figure: not found

        async def download() -> None:
            text = await write(dashboard_payments.payments_csv, actor=current_actor(), **figure)
            ui.download.content(text.encode(), f'payments-{source}-{start}-{end}.csv', 'text/csv')

        query = f'source={source}&start={start}&end={end}&method={method}&channel={channel}'
        await page.show('Dashboard', path='/staff', load=load, draw=lambda view: _draw(view, query, download))


def _draw(view: PaymentsDrill, query: str, download) -> None:  # noqa: ANN001
    ui.link('← Dashboard', '/staff').classes(theme.LINK)
    ui.label(view.title).classes(theme.H1).props('role=heading aria-level=1')
    with ui.row().classes('w-full items-baseline gap-4'):
        ui.label(forms.money(view.total)).classes('text-2xl font-bold').props('data-testid=drill-total')
        ui.label(f'{view.entries:,} entries').classes('text-sm text-slate-600')
        ui.button('Download CSV', on_click=download).props('outline no-caps').mark('drill-csv')
    with ui.element('div').classes(theme.CARD + ' overflow-x-auto'):
        with ui.element('table').classes('w-full text-sm').props('data-testid=drill-table'):
            with ui.element('tr'):
                for heading in ('Date', 'Account', 'Kind', 'Method', 'Channel', 'Amount'):
                    with ui.element('th').classes('text-left p-1 font-medium').props('scope=col'):
                        ui.label(heading)
            for row in view.rows:
                with ui.element('tr').classes('border-t'):
                    with ui.element('td').classes('p-1'):
                        ui.label(forms.long_date(row.day))
                    with ui.element('td').classes('p-1'):
                        ui.link(f'{row.account_number} · {row.guarantor}', f'/staff/accounts/{row.account_id}') \
                            .classes(theme.LINK)
                    for text in (row.kind.replace('_', ' ').capitalize(), row.method.replace('_', ' '),
                                 CHANNELS.get(row.channel, row.channel), forms.money(row.amount)):
                        with ui.element('td').classes('p-1'):
                            ui.label(text)
    pager('/staff/dashboard/payments', view.page, view.pages, query)
