"""Staff accounts (/staff/accounts): one search box for whatever the caller gives (a name, a date of
birth, an account number, an MRN, a phone or an email); without a search, the worklists. The account
itself is pages/staff/account_page.py."""
from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from nicegui import ui

from components import chips, forms, page, theme
from components.calls import write
from pages.staff import worklists
from portal.services.desk import search

HINT = 'Name, date of birth, account number, MRN, phone or email'


def register() -> None:
    @ui.page('/staff/accounts', response_timeout=60)
    async def accounts_page(q: str = '', list: str = '', sort: str = '', p: str = '1') -> None:  # noqa: A002
        if not q.strip():
            await worklists.show(list, sort, page.parse_id(p) or 1, search_box=lambda: _search_box(''))
            return
        await page.show('Accounts', path='/staff/accounts', draw=_results,
                        load=lambda actor: write(search.search_accounts, actor=actor, query=q))


def _search_box(value: str) -> None:
    ui.label('Accounts').classes(theme.H1).props('role=heading aria-level=1')
    with ui.row().classes('w-full items-start gap-2'):  # wraps on a phone: the box on its own line
        query = forms.field(HINT, max_length=search.MAX_QUERY, mark='query').classes('sm:max-w-xl')
        query.value = value[:search.MAX_QUERY]
        go = lambda: ui.navigate.to('/staff/accounts?' + urlencode({'q': query.value or ''}))  # noqa: E731
        query.on('keydown.enter', go)
        ui.button('Find', icon='search', on_click=go).props('unelevated no-caps').classes('mt-1').mark('find')
        ui.button('New account', icon='person_add', on_click=lambda: ui.navigate.to('/staff/accounts/new')) \
            .props('outline no-caps').classes('mt-1 ml-auto').mark('new-account')


def _results(result: search.SearchResult) -> None:
    _search_box(result.query)
    with ui.column().classes(theme.CARD + ' gap-0').mark('results'):
        if not result.hits:
            ui.label(f'No account matches “{result.query}”. Try a last name, a date of birth (03/15/1984), '
                     'an account number or a phone number.').classes('text-slate-800').mark('no-match')
        for hit in result.hits:
            _hit(hit)
        if result.more:
            ui.label(f'Showing the first {search.LIMIT}: add a first name or a date of birth to narrow it.') \
                .classes(theme.MUTED + ' pt-2').mark('more')


def _hit(hit: search.SearchHit) -> None:
    patients = ', '.join(f'{escape(p.name)} ({forms.short_date(p.date_of_birth)})' for p in hit.patients)
    flags = ' '.join(chips.chip_html(flag, 'warn') for flag in hit.flags)
    balance = forms.money(hit.balance, hit.currency)
    ui.html(f'<a href="/staff/accounts/{hit.id}" class="flex flex-wrap items-baseline gap-x-4 gap-y-1 py-3 '
            f'border-b border-slate-100 hover:bg-slate-50 no-underline text-slate-900" data-testid="hit">'
            f'<span class="font-semibold text-teal-800 underline underline-offset-2">{escape(hit.guarantor)}</span>'
            f'<span class="text-slate-600 text-sm">{escape(hit.account_number)}</span>'
            f'<span class="text-sm grow">Patients: {patients or "none"}</span>'
            f'<span class="font-semibold tabular-nums">{balance}</span>{flags}</a>', sanitize=False) \
        .classes('w-full').mark('hit')
