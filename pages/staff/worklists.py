"""The worklists /staff/accounts opens with (no @ui.page here: pages/staff/accounts.py calls `show`): a tab
per list with its size, a sort, 25 accounts a page, and the whole list as CSV (audited)."""
from __future__ import annotations

from collections.abc import Callable
from html import escape
from urllib.parse import urlencode

from nicegui import ui

from components import forms, page, session, theme
from components.calls import write
from portal.services.desk import worklists as service


def _url(name: str, sort: str, number: int = 1) -> str:
    return '/staff/accounts?' + urlencode({'list': name, 'sort': sort, 'p': number})


async def show(name: str, sort: str, number: int, *, search_box: Callable[[], None]) -> None:
    await page.show('Accounts', path='/staff/accounts', draw=lambda view: _draw(view, search_box),
                    load=lambda actor: write(service.worklist, actor=actor, name=name, sort=sort, page=number))


def _draw(view: service.Worklist, search_box: Callable[[], None]) -> None:
    search_box()
    with ui.row().classes('w-full gap-2').props('role=tablist aria-label=Worklists').mark('worklists'):
        for key, title in service.LISTS.items():
            current = key == view.name
            ui.link(f'{title} ({view.counts[key]:,})', _url(key, view.sort)) \
                .classes('px-3 py-2 rounded-lg no-underline ' + ('bg-teal-800 text-white' if current else
                                                                  'bg-white border border-slate-200 text-teal-900')) \
                .props(f'role=tab aria-selected={"true" if current else "false"}').mark(f'list-{key}')
    with ui.column().classes(theme.CARD + ' gap-2'):
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(f'{view.title}: {view.total:,} accounts').classes(theme.H2).props('role=heading aria-level=2')
            ui.space()
            ui.select(service.SORTS, value=view.sort, label='Sort',
                      on_change=lambda event: ui.navigate.to(_url(view.name, event.value))) \
                .props('outlined dense').classes('w-48').mark('sort')
            ui.button('CSV', icon='download', on_click=lambda: _export(view.name, view.sort)) \
                .props('outline no-caps').mark('csv')
        if not view.rows:
            ui.label('No accounts on this list.').classes('text-slate-800').mark('empty-list')
        html = ''.join(
            f'<a href="/staff/accounts/{row.account_id}" data-testid="work-row" class="flex flex-wrap items-baseline '
            f'gap-x-4 gap-y-1 py-2 border-b border-slate-100 hover:bg-slate-50 no-underline text-slate-900">'
            f'<span class="font-semibold text-teal-800 underline underline-offset-2 w-48">'
            f'{escape(row.guarantor)}</span>'
            f'<span class="text-slate-600 text-sm w-24">{escape(row.account_number)}</span>'
            f'<span class="grow text-sm">{escape(row.what)}</span>'
            f'<span class="text-sm text-slate-600">since {forms.short_date(row.since)}</span>'
            f'<span class="font-semibold tabular-nums w-28 text-right">{forms.money(row.balance, row.currency)}</span>'
            f'</a>' for row in view.rows)
        ui.html(f'<div class="w-full">{html}</div>', sanitize=False).classes('w-full').mark('work-rows')
        if view.pages > 1:
            ui.pagination(1, view.pages, direction_links=True, value=view.page,
                          on_change=lambda event: ui.navigate.to(_url(view.name, view.sort, event.value))) \
                .props('max-pages=7 boundary-numbers').mark('pages')


async def _export(name: str, sort: str) -> None:
    filename, text = await write(service.worklist_csv, actor=session.actor(), name=name, sort=sort)
    ui.download.content(text.encode(), filename, media_type='text/csv')
