"""Staff accounts: find an account by number or name (/staff/accounts), then its ledger and payments
with refunds and offline payments (/staff/accounts/{id}). Every view and change is audited."""
from __future__ import annotations

from nicegui import ui

from components import forms, session, theme
from components.calls import write
from components.frame import frame
from pages.staff.account_dialogs import offline_dialog, refund_dialog
from pages.urls import not_found_response, parse_id
from portal.errors import NotFound
from portal.services.payments import staff

# on a phone a wide table would scroll sideways (no keyboard access to that region): one card per row instead
PHONE_TABLE = 'flat dense wrap-cells :grid="window.innerWidth < 640"'


def register() -> None:
    @ui.page('/staff/accounts', response_timeout=60)
    async def accounts_page(q: str = '') -> None:
        auth = session.current_auth()
        assert auth is not None
        actor = session.actor()
        hits = await write(staff.search_accounts, actor, q) if q.strip() else []
        with frame('Accounts', auth=auth, path='/staff/accounts'):
            ui.label('Accounts').classes(theme.H1).props('role=heading aria-level=1')
            with ui.row().classes('w-full max-w-xl items-start no-wrap gap-2'):
                query = forms.field('Account number or name', max_length=80, mark='query')
                query.value = q[:80]
                query.on('keydown.enter', lambda: ui.navigate.to(f'/staff/accounts?q={query.value or ""}'))
                ui.button('Find', icon='search', on_click=lambda: ui.navigate.to(
                    f'/staff/accounts?q={query.value or ""}')).props('unelevated no-caps').classes('mt-1') \
                    .mark('find')
            if q.strip():
                with ui.column().classes(theme.CARD + ' gap-0 max-w-xl').mark('results'):
                    if not hits:
                        ui.label('No accounts match.').classes('text-slate-700')
                    for hit in hits:
                        ui.link(f'{hit.account_number} · {hit.name}', f'/staff/accounts/{hit.id}') \
                            .classes('py-2 text-teal-800 text-base')

    @ui.page('/staff/accounts/{account_id}', response_timeout=60)
    async def account_page(account_id: str):  # noqa: ANN202  (a page, or a 404 response)
        auth = session.current_auth()
        assert auth is not None
        actor = session.actor()
        wanted = parse_id(account_id)
        if wanted is None:
            return not_found_response()
        try:
            detail = await write(staff.staff_account, actor, wanted)
        except NotFound:
            return not_found_response()
        with frame('Account', auth=auth, path='/staff/accounts'):
            _account(actor, detail)
        return None


def _account(actor, detail: staff.StaffAccount) -> None:  # noqa: ANN001
    money = lambda minor: forms.money(minor, detail.currency)  # noqa: E731
    ui.label(f'{detail.name} · {detail.account_number}').classes(theme.H1).props('role=heading aria-level=1')
    figures = (('Balance', 'staff-balance', detail.balance, f'{money(detail.processing)} processing'),
               ('Credit (refundable)', 'staff-credit', detail.credit, 'what the account holds for the patient'))
    with ui.row().classes('w-full gap-4'):
        for title, test_id, amount, note in figures:
            ui.html(f'<div class="{theme.CARD}"><p class="text-sm text-slate-700">{title}</p>'
                    f'<p data-testid="{test_id}" class="text-2xl font-bold">{money(amount)}</p>'
                    f'<p class="{theme.MUTED}">{note}</p></div>', sanitize=False).classes('w-full sm:w-64')
    for flag in detail.flags:
        ui.label(flag).classes('w-full text-amber-900 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2') \
            .mark('flag')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Payments').classes(theme.H2)
        columns = [{'name': n, 'label': label, 'field': n, 'align': 'left'} for n, label in (
            ('receipt', 'Receipt'), ('date', 'Date'), ('method', 'Method'), ('amount', 'Amount'),
            ('status', 'Status'), ('refunded', 'Refunded'))]
        rows = [{'id': p.id, 'receipt': p.receipt_number, 'date': forms.short_date(p.received_at.date()),
                 'method': p.method, 'amount': money(p.amount), 'status': p.status, 'refunded': money(p.refunded)}
                for p in detail.payments]
        ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').props(PHONE_TABLE).mark('payments')
        if any(p.refundable > 0 for p in detail.payments):
            ui.button('Refund a payment', icon='undo', on_click=lambda: refund_dialog(actor, detail)) \
                .props('outline no-caps').mark('refund')
        ui.button('Record cash or check', icon='add', on_click=lambda: offline_dialog(actor, detail.id)) \
            .props('outline no-caps').mark('record-offline')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Ledger (latest 100)').classes(theme.H2)
        columns = [{'name': n, 'label': label, 'field': n, 'align': 'left'} for n, label in (
            ('date', 'Date'), ('kind', 'Kind'), ('amount', 'Amount'), ('memo', 'Note'))]
        rows = [{'id': e.id, 'date': forms.short_date(e.effective_date), 'kind': e.kind.replace('_', ' '),
                 'amount': money(e.amount), 'memo': e.memo} for e in detail.entries]
        ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').props(PHONE_TABLE).mark('ledger')
