"""Staff accounts: find an account by number or name (/staff/accounts), then its ledger and payments
with refunds and offline payments (/staff/accounts/{id}). Every view and change is audited."""
from __future__ import annotations

from nicegui import ui

from components import chips, forms, page, session, theme
from components.calls import write
from pages.staff.account_dialogs import offline_dialog, refund_dialog
from portal.services.payments import staff

# on a phone a wide table would scroll sideways (no keyboard access to that region): one card per row instead
PHONE_TABLE = 'flat dense wrap-cells :grid="window.innerWidth < 640"'


def register() -> None:
    @ui.page('/staff/accounts', response_timeout=60)
    async def accounts_page(q: str = '') -> None:
        async def search(actor) -> list[staff.AccountHit]:  # noqa: ANN001
            return await write(staff.search_accounts, actor, q) if q.strip() else []

        await page.show('Accounts', path='/staff/accounts', load=search, draw=lambda hits: _search(q, hits))

    @ui.page('/staff/accounts/{account_id}', response_timeout=60)
    async def account_page(account_id: str) -> None:
        await page.show('Account', path='/staff/accounts', draw=lambda detail: _account(session.actor(), detail),
                        load=lambda actor: write(staff.staff_account, actor, page.id_of(account_id)))


def _search(q: str, hits: list[staff.AccountHit]) -> None:
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



def _account(actor, detail: staff.StaffAccount) -> None:  # noqa: ANN001
    money = lambda minor: forms.money(minor, detail.currency)  # noqa: E731
    ui.label(f'{detail.name} · {detail.account_number}').classes(theme.H1).props('role=heading aria-level=1')
    ui.link('Write to the patient', f'/staff/messages/new?account={detail.id}').classes(theme.LINK) \
        .mark('write-to-patient')
    figures = (('Balance', 'staff-balance', detail.balance, f'{money(detail.processing)} processing'),
               ('Due now', 'staff-due-now', detail.due_now, 'what the patient is asked to pay'),
               ('Waiting for insurance', 'staff-waiting', detail.waiting, 'on claims still pending: not asked yet'),
               ('Credit (refundable)', 'staff-credit', detail.credit, 'what the account holds for the patient'))
    with ui.row().classes('w-full gap-4'):
        for title, test_id, amount, note in figures:
            ui.html(f'<div class="{theme.CARD}"><p class="text-sm text-slate-700">{title}</p>'
                    f'<p data-testid="{test_id}" class="text-2xl font-bold">{money(amount)}</p>'
                    f'<p class="{theme.MUTED}">{note}</p></div>', sanitize=False).classes('w-full sm:w-52')
    for flag in detail.flags:
        ui.label(flag).classes('w-full text-amber-900 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2') \
            .mark('flag')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Payments').classes(theme.H2)
        columns = [{'name': n, 'label': label, 'field': n, 'align': 'left'} for n, label in (
            ('receipt', 'Receipt'), ('date', 'Date'), ('method', 'Method'), ('amount', 'Amount'),
            ('status', 'Status'), ('refunded', 'Refunded'))]
        rows = [{'id': p.id, 'receipt': p.receipt_number, 'date': forms.short_date(p.received_on),
                 'method': p.method_label, 'amount': money(p.amount), 'status': chips.look(p.status, chips.PAYMENT)[0],
                 'chip': chips.status_html(p.status, chips.PAYMENT), 'refunded': money(p.refunded)}
                for p in detail.payments]
        table = ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').props(PHONE_TABLE) \
            .mark('payments')
        table.add_slot('body-cell-status', '<q-td :props="props"><span v-html="props.row.chip"></span></q-td>')
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
