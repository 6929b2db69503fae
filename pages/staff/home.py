"""The staff home: total A/R, collected this month and collections by month."""
from __future__ import annotations

from nicegui import ui

from components import charts, forms, page, theme
from components.calls import read
from portal.services import home


def register() -> None:
    @ui.page('/staff', response_timeout=60)
    async def staff_home() -> None:
        await page.show('Dashboard', path='/staff', load=lambda _actor: read(home.staff_home), draw=_dashboard)


def _dashboard(summary: home.StaffHome) -> None:
    ui.label('Collections dashboard').classes(theme.H1).props('role=heading aria-level=1')
    with ui.grid().classes('w-full grid-cols-2 md:grid-cols-4 gap-4'):
        _figure('Total A/R', forms.money(summary.total_ar), 'total-ar')
        _figure('Collected this month', forms.money(summary.collected_this_month), 'collected-month')
        _figure('Insurance this month', forms.money(summary.insurance_this_month), 'insurance-month')
        _figure('Accounts with a balance', f'{summary.accounts_with_balance:,}', 'accounts-with-balance')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Collections by month').classes(theme.H2).props('role=heading aria-level=2')
        ui.plotly(charts.collections_by_month(summary.collections_by_month)).classes('w-full') \
            .props('aria-label="Bar chart of patient and insurance payments for the last 12 months"')


def _figure(label: str, value: str, test_id: str) -> None:
    with ui.column().classes(theme.CARD + ' gap-1'):
        ui.label(label).classes('text-sm font-medium text-slate-700')
        ui.label(value).classes('text-2xl font-bold text-slate-900').props(f'data-testid={test_id}')
