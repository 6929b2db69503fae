"""/staff/dashboard/rows: the rows behind a plan, adoption or KPI figure of the dashboard, paged, the figure's
numerator and denominator computed from them, and a CSV download."""
from __future__ import annotations

from nicegui import ui

from components import forms, page, theme
from components.calls import write
from components.dashboard_filters import filters_from, query_of
from components.pager import pager
from components.session import actor as current_actor
from portal.services import dashboard_rows
from portal.services.dashboard_rows import RowsDrill


def register() -> None:
    @ui.page('/staff/dashboard/rows', response_timeout=60)
    async def rows_drill(figure: str = '', page_number: int = 1, start: str = '', end: str = '',
                         provider: str = '', location: str = '', payer: str = '') -> None:
        filters = filters_from(start, end, provider, location, payer)

        async def load(actor):  # noqa: ANN001, ANN202
            try:
                return await write(dashboard_rows.rows_drill, actor=actor, figure=figure, filters=filters,
                                   page=page_number)
            except ValueError:
                return None  # an unknown figure: not found

        async def download() -> None:
            text = await write(dashboard_rows.rows_csv, actor=current_actor(), figure=figure, filters=filters)
            ui.download.content(text.encode(), f'{figure}.csv', 'text/csv')

        def draw(view: RowsDrill) -> None:
            _draw(view, back=f'/staff?{query_of(filters)}', query=query_of(filters, figure=figure),
                  download=download)

        await page.show('Dashboard', path='/staff', load=load, draw=draw)


def _shown(view: RowsDrill, value: float) -> str:
    return forms.money(int(value)) if view.money else f'{value:,.1f}'.removesuffix('.0')


def _draw(view: RowsDrill, *, back: str, query: str, download) -> None:  # noqa: ANN001
    ui.link('← Dashboard', back).classes(theme.LINK)
    ui.label(view.title).classes(theme.H1).props('role=heading aria-level=1')
    with ui.row().classes('w-full items-baseline gap-4'):
        if view.denominator_label is None:
            figure = f'{view.numerator_label}: {_shown(view, view.numerator)}'
        else:
            value = view.value
            figure = (f'{"—" if value is None else f"{value:,.1f}%"} = {view.numerator_label}: '
                      f'{_shown(view, view.numerator)} ÷ {view.denominator_label}: {_shown(view, view.denominator)}')
            if view.figure == 'response-time':
                figure = (f'{"—" if not view.denominator else f"{view.numerator / view.denominator:,.1f} hours"} = '
                          f'{view.numerator_label}: {_shown(view, view.numerator)} ÷ {view.denominator_label}: '
                          f'{_shown(view, view.denominator)}')
        ui.label(figure).classes('text-xl font-bold').props('data-testid=drill-figure')
        counted = f'{view.rows_count:,} {"row" if view.rows_count == 1 else "rows"}'
        ui.label(f'{counted} · {forms.long_date(view.start)} – {forms.long_date(view.end)} · '
                 f'as of {forms.long_date(view.as_of)}').classes('text-sm text-slate-600')
        ui.button('Download CSV', on_click=download).props('outline no-caps').mark('drill-csv')
    with ui.element('div').classes(theme.CARD + ' overflow-x-auto'):
        with ui.element('table').classes('w-full text-sm').props('data-testid=drill-table'):
            with ui.element('tr'):
                for heading in (*view.headers, 'Counted'):
                    with ui.element('th').classes('text-left p-1 font-medium').props('scope=col'):
                        ui.label(heading)
            for row in view.rows:
                with ui.element('tr').classes('border-t'):
                    with ui.element('td').classes('p-1'):
                        if row.account_id is None:
                            ui.label(row.account)
                        else:
                            ui.link(row.account, f'/staff/accounts/{row.account_id}').classes(theme.LINK)
                    for cell in row.cells:
                        with ui.element('td').classes('p-1'):
                            ui.label(cell.text if cell.minor is None else forms.money(cell.minor))
                    with ui.element('td').classes('p-1'):
                        ui.label('yes' if row.counted else 'no')
    pager('/staff/dashboard/rows', view.page, view.pages, query)
