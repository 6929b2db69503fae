"""The staff home: the collections dashboard (A/R aging by responsibility, collections, payment mix, plan
health, portal adoption, KPIs with their formulas); every figure opens the charges behind it."""
from __future__ import annotations

from nicegui import ui

from components import charts, forms, page, theme
from components.calls import read
from components.dashboard_filters import filters_from, query_of
from portal.services import dashboard
from portal.services.dashboard import Dashboard, Filters, Kpi, Option
from portal.services.dashboard_rows import FIGURES as ROWS_FIGURES

METHODS = {'card': 'Card', 'us_bank_account': 'Bank account', 'wallet': 'Wallet', 'cash': 'Cash', 'check': 'Check'}
CHANNELS = {'guest': 'Guest (quick pay)', 'signed_in': 'Signed in', 'office': 'Office', 'autopay': 'Autopay'}


# why total A/R can differ from the ledger's sum of account balances
AR_NOTE = ('What is open on charges. Account credits (payments not applied to a charge, more paid on a charge '
           'than it owed) are not netted, and payments still processing already count as paid.')


def register() -> None:
    @ui.page('/staff', response_timeout=60)
    async def staff_home(start: str = '', end: str = '', provider: str = '', location: str = '',
                         payer: str = '') -> None:
        filters = filters_from(start, end, provider, location, payer)
        await page.show('Dashboard', path='/staff',
                        load=lambda actor: read(dashboard.collections_dashboard, actor=actor, filters=filters),
                        draw=_dashboard)


def _dashboard(view: Dashboard) -> None:
    with ui.row().classes('w-full items-baseline justify-between gap-2'):
        ui.label('Collections dashboard').classes(theme.H1).props('role=heading aria-level=1')
        ui.label(f'As of {forms.long_date(view.as_of)} (the practice\'s day)').classes('text-sm text-slate-600') \
            .props('data-testid=as-of')
    _filters(view)
    with ui.grid().classes('w-full grid-cols-2 md:grid-cols-4 gap-4'):
        _figure('Total A/R', forms.money(view.total_ar), 'total-ar', _drill(view.filters), note=AR_NOTE)
        _figure('Patient A/R', forms.money(view.responsibility_total('patient')), 'patient-ar',
                _drill(view.filters, responsibility='patient'))
        _figure('Insurance A/R', forms.money(view.responsibility_total('insurance')), 'insurance-ar',
                _drill(view.filters, responsibility='insurance'))
        collected = sum(day.patient for day in view.collections)
        _figure('Collected from patients', forms.money(collected), 'collected-period',
                _payments('patient', view.start, view.end),
                note=f'{forms.long_date(view.start)} – {forms.long_date(view.end)}')
    _aging(view)
    _collections(view)
    with ui.grid().classes('w-full grid-cols-1 md:grid-cols-2 gap-4'):
        _mix('Payment method mix', view.method_mix, METHODS, 'method-mix', view, 'method')
        _mix('Guest and signed-in payments', view.channel_mix, CHANNELS, 'channel-mix', view, 'channel')
    with ui.grid().classes('w-full grid-cols-2 md:grid-cols-5 gap-4'):
        _figure('Active plans', f'{view.plans_active:,}', 'plans-active', _rows(view.filters, 'plans-active'))
        _figure('Plans past due', f'{view.plans_past_due:,}', 'plans-past-due', _rows(view.filters, 'plans-past-due'))
        _figure('Autopay success', _share(view.autopay_succeeded, view.autopay_tried), 'autopay-rate',
                _rows(view.filters, 'autopay-rate'),
                note=f'{view.autopay_succeeded:,} of {view.autopay_tried:,} tries')
        _figure('Portal adoption', _share(view.accounts_registered, view.accounts), 'portal-adoption',
                _rows(view.filters, 'portal-adoption'),
                note=f'{view.accounts_registered:,} of {view.accounts:,} accounts have a sign-in')
        _figure('Paperless', _share(view.accounts_paperless, view.accounts), 'paperless-rate',
                _rows(view.filters, 'paperless-rate'),
                note=f'{view.accounts_paperless:,} of {view.accounts:,} accounts')
    ui.label('Key figures').classes(theme.H2).props('role=heading aria-level=2')
    with ui.grid().classes('w-full grid-cols-1 md:grid-cols-2 lg:grid-cols-3 gap-4'):
        for kpi in view.kpis:
            _kpi(kpi, view)


def _drill(filters: Filters, *, responsibility: str | None = None, bucket: str = 'all') -> str:
    return f'/staff/dashboard/ar?{query_of(filters, responsibility=responsibility, bucket=bucket)}'


def _rows(filters: Filters, figure: str) -> str:
    return f'/staff/dashboard/rows?{query_of(filters, figure=figure)}'


def _share(part: int, whole: int) -> str:
    return f'{part * 100 / whole:.1f}%' if whole else '—'


def _filters(view: Dashboard) -> None:
    f = view.filters
    with ui.row().classes(theme.CARD + ' w-full items-end gap-3 flex-wrap').props('role=search'):
        start = ui.input('From', value=view.start.isoformat()).props('type=date dense outlined').classes('w-40')
        end = ui.input('To', value=view.end.isoformat()).props('type=date dense outlined').classes('w-40')
        provider = ui.select(_choices(view.providers, f.provider_id, 'provider'), value=f.provider_id,
                             label='Provider').props('dense outlined').classes('w-56')
        location = ui.select(_choices(view.locations, f.location_id, 'location'), value=f.location_id,
                             label='Location').props('dense outlined').classes('w-48')
        payer = ui.select(_choices(view.payers, f.payer_id, 'payer'), value=f.payer_id,
                          label='Payer').props('dense outlined').classes('w-48')

        def apply() -> None:
            chosen = filters_from(start.value or '', end.value or '', str(provider.value or ''),
                                  str(location.value or ''), '' if payer.value is None else str(payer.value))
            ui.navigate.to(f'/staff?{query_of(chosen)}')

        ui.button('Apply', on_click=apply).props('unelevated color=primary').mark('apply-filters')
        ui.link('Clear', '/staff').classes(theme.LINK)


def _choices(options: list[Option], chosen: int | None, what: str) -> dict[int | None, str]:
    """A filter's choices: All, the known ones, and an id from the address that names none of them (it
    filters to nothing, and shows as such rather than failing the page)."""
    choices: dict[int | None, str] = {None: 'All', **{option.id: option.label for option in options}}
    if chosen not in choices:
        choices[chosen] = f'Unknown {what} ({chosen})'
    return choices


def _figure(label: str, value: str, test_id: str, link: str | None, *, note: str = '') -> None:
    with ui.column().classes(theme.CARD + ' gap-1'):
        ui.label(label).classes('text-sm font-medium text-slate-700')
        if link:
            ui.link(value, link).classes('text-2xl font-bold text-slate-900 underline decoration-slate-300') \
                .props(f'data-testid={test_id} aria-label="{label}: {value}, show the rows behind it"')
        else:
            ui.label(value).classes('text-2xl font-bold text-slate-900').props(f'data-testid={test_id}')
        if note:
            ui.label(note).classes('text-xs text-slate-600')


def _aging(view: Dashboard) -> None:
    with ui.column().classes(theme.CARD + ' w-full gap-2'):
        ui.label('A/R aging (days from date of service)').classes(theme.H2).props('role=heading aria-level=2')
        plot = ui.plotly(charts.aging(view.aging)).classes('w-full') \
            .props('aria-label="Bar chart of open A/R by age, patient and insurance; the table below has the figures"')

        def opened(event) -> None:  # noqa: ANN001
            points = (event.args or {}).get('points') or []
            if points and points[0].get('customdata'):
                responsibility, bucket = points[0]['customdata']
                ui.navigate.to(_drill(view.filters, responsibility=responsibility, bucket=bucket))

        plot.on('plotly_click', opened)
        with ui.element('div').classes('w-full overflow-x-auto'):
            with ui.element('table').classes('w-full text-sm').props('data-testid=aging-table'):
                with ui.element('tr'):
                    for heading in ('', *(f'{row.bucket} days' for row in view.aging), 'Total'):
                        _cell('th', heading, 'col')
                for responsibility, name in (('patient', 'Patient'), ('insurance', 'Insurance'), (None, 'Total')):
                    with ui.element('tr').classes('border-t'):
                        _cell('th', name, 'row')
                        for row in view.aging:
                            amount = row.total if responsibility is None else getattr(row, responsibility)
                            with ui.element('td').classes('p-1'):
                                ui.link(forms.money(amount), _drill(view.filters, responsibility=responsibility,
                                                                    bucket=row.bucket)).classes(theme.LINK) \
                                    .props(f'data-testid=aging-{responsibility or "all"}-{row.bucket}')
                        total = view.total_ar if responsibility is None else view.responsibility_total(responsibility)
                        with ui.element('td').classes('p-1 font-medium'):
                            ui.link(forms.money(total), _drill(view.filters, responsibility=responsibility)) \
                                .classes(theme.LINK)


def _cell(tag: str, text: str, scope: str) -> None:
    with ui.element(tag).classes('text-left p-1 font-medium').props(f'scope={scope}'):
        ui.label(text)


def _collections(view: Dashboard) -> None:
    with ui.column().classes(theme.CARD + ' w-full gap-2'):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Collections').classes(theme.H2).props('role=heading aria-level=2')
            grouping = ui.toggle({'day': 'Day', 'week': 'Week', 'month': 'Month'}, value='week') \
                .props('dense no-caps').mark('collections-grouping')
        plot = ui.plotly(charts.collections(view.collections, 'week')).classes('w-full') \
            .props('aria-label="Bar chart of patient and insurance payments in the period; the links below list them"')
        grouping.on_value_change(lambda event: plot.update_figure(charts.collections(view.collections, event.value)))

        def opened(event) -> None:  # noqa: ANN001
            points = (event.args or {}).get('points') or []
            if points and points[0].get('customdata'):
                source, first, last = points[0]['customdata']
                ui.navigate.to(_payments(source, first, last))

        plot.on('plotly_click', opened)
        with ui.row().classes('gap-4 text-sm'):
            patient = sum(day.patient for day in view.collections)
            insurance = sum(day.insurance for day in view.collections)
            ui.link(f'Patient payments: {forms.money(patient)}', _payments('patient', view.start, view.end)) \
                .classes(theme.LINK).props('data-testid=collections-patient')
            ui.link(f'Insurance payments: {forms.money(insurance)}', _payments('insurance', view.start, view.end)) \
                .classes(theme.LINK).props('data-testid=collections-insurance')


def _payments(source: str, first: object, last: object, **more: str) -> str:
    extra = ''.join(f'&{key}={value}' for key, value in more.items())
    return f'/staff/dashboard/payments?source={source}&start={first}&end={last}{extra}'


def _mix(title: str, parts: dict[str, int], names: dict[str, str], test_id: str, view: Dashboard,
         dimension: str) -> None:
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label(title).classes(theme.H2).props('role=heading aria-level=2')
        if not parts:
            ui.label('No patient payments in the period.').classes('text-sm text-slate-600')
            return
        plot = ui.plotly(charts.mix(parts, names)).classes('w-full') \
            .props(f'aria-label="{title}, chart; the links below list the payments"')

        def opened(event) -> None:  # noqa: ANN001
            points = (event.args or {}).get('points') or []
            if points and points[0].get('customdata') is not None:
                key = points[0]['customdata']
                key = key[0] if isinstance(key, list) else key
                ui.navigate.to(_payments('patient', view.start, view.end, **{dimension: key}))

        plot.on('plotly_click', opened)
        with ui.column().classes('gap-0 text-sm').props(f'data-testid={test_id}'):
            for key, amount in parts.items():
                ui.link(f'{names.get(key, key)}: {forms.money(amount)}',
                        _payments('patient', view.start, view.end, **{dimension: key})).classes(theme.LINK)


def _kpi(kpi: Kpi, view: Dashboard) -> None:
    def shown(value: float) -> str:
        return forms.money(int(value)) if kpi.money else f'{value:,.1f}'.removesuffix('.0')

    value = kpi.value
    text = '—' if value is None else f'{value:,.1f}{"%" if kpi.unit == "%" else " " + kpi.unit}'
    with ui.column().classes(theme.CARD + ' gap-1').props(f'data-testid=kpi-{kpi.key}'):
        with ui.row().classes('w-full items-baseline justify-between'):
            ui.label(kpi.name).classes('text-sm font-medium text-slate-700')
            ui.label(f'HFMA MAP {kpi.map_key}' if kpi.map_key else 'no MAP key').classes('text-xs text-slate-600')
        ui.label(text).classes('text-2xl font-bold text-slate-900').props(f'data-testid=kpi-{kpi.key}-value')
        ui.label(kpi.formula).classes('text-xs text-slate-700')
        ui.label(f'{kpi.numerator_label}: {shown(kpi.numerator)} ÷ {kpi.denominator_label}: '
                 f'{shown(kpi.denominator)}').classes('text-xs text-slate-700')
        ui.label(f'As of {forms.long_date(view.as_of)}').classes('text-xs text-slate-600')
        if kpi.key in ROWS_FIGURES:
            ui.link(f'Show the rows behind {kpi.name}', _rows(view.filters, kpi.key)) \
                .classes(theme.LINK + ' text-xs').props(f'data-testid=kpi-{kpi.key}-rows')
        behind = {'ar-over-90': ('A/R over 90 days', '91+'), 'net-days': ('Net A/R', 'all')}.get(kpi.key)
        if behind:
            ui.link(f'Show the charges behind {behind[0]}', _drill(view.filters, bucket=behind[1])) \
                .classes(theme.LINK + ' text-xs')
