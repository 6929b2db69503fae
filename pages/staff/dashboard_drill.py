"""/staff/dashboard/ar: the charges behind an A/R figure of the dashboard, paged, their total (the figure)
and a CSV download."""
from __future__ import annotations

from nicegui import ui

from components import forms, page, theme
from components.calls import write
from components.dashboard_filters import filters_from, query_of
from components.pager import pager
from components.session import actor as current_actor
from portal.services import dashboard_drill
from portal.services.dashboard_drill import Drill


def register() -> None:
    @ui.page('/staff/dashboard/ar', response_timeout=60)
    async def ar_drill(responsibility: str = '', bucket: str = 'all', page_number: int = 1, start: str = '',
                       end: str = '', provider: str = '', location: str = '', payer: str = '') -> None:
        filters = filters_from(start, end, provider, location, payer)
        who = responsibility or None

        async def load(actor):  # noqa: ANN001, ANN202
            try:
                return await write(dashboard_drill.ar_drill, actor=actor, filters=filters, responsibility=who,
                                  bucket=bucket, page=page_number)
            except ValueError:
                return None  # an unknown bucket or responsibility: not found

        async def download() -> None:
            text = await write(dashboard_drill.ar_drill_csv, actor=current_actor(), filters=filters,
                               responsibility=who, bucket=bucket)
            ui.download.content(text.encode(), f'ar-{who or "all"}-{bucket}.csv', 'text/csv')

        def draw(view: Drill) -> None:
            _drill(view, back=f'/staff?{query_of(filters)}',
                   query=query_of(filters, responsibility=who, bucket=bucket), download=download)

        await page.show('Dashboard', path='/staff', load=load, draw=draw)


def _drill(view: Drill, *, back: str, query: str, download) -> None:  # noqa: ANN001
    ui.link('← Dashboard', back).classes(theme.LINK)
    ui.label(view.title).classes(theme.H1).props('role=heading aria-level=1')
    with ui.row().classes('w-full items-baseline gap-4'):
        ui.label(forms.money(view.total)).classes('text-2xl font-bold').props('data-testid=drill-total')
        ui.label(f'{view.charges:,} charges with something open · as of {forms.long_date(view.as_of)}') \
            .classes('text-sm text-slate-600')
        ui.button('Download CSV', on_click=download).props('outline no-caps').mark('drill-csv')
    with ui.element('div').classes(theme.CARD + ' overflow-x-auto'):
        with ui.element('table').classes('w-full text-sm').props('data-testid=drill-table'):
            with ui.element('tr'):
                for heading in ('Account', 'Patient', 'Date of service', 'Service', 'Responsibility', 'Charged',
                                'Insurance paid', 'Adjusted', 'Patient paid', 'Open'):
                    with ui.element('th').classes('text-left p-1 font-medium').props('scope=col'):
                        ui.label(heading)
            for row in view.rows:
                with ui.element('tr').classes('border-t'):
                    with ui.element('td').classes('p-1'):
                        ui.link(f'{row.account_number} · {row.guarantor}', f'/staff/accounts/{row.account_id}') \
                            .classes(theme.LINK)
                    money = [forms.money(amount) for amount in (row.charged, row.insurance_paid, row.adjusted,
                                                                row.patient_paid, row.open_amount)]
                    for text in (row.patient, forms.long_date(row.date_of_service), f'{row.code} {row.description}',
                                 row.responsibility.title(), *money):
                        with ui.element('td').classes('p-1'):
                            ui.label(text)
    pager('/staff/dashboard/ar', view.page, view.pages, query)

