"""Staff accounts: find an account by number or name (/staff/accounts), then its ledger and payments
with refunds and offline payments (/staff/accounts/{id}). Every view and change is audited."""
from __future__ import annotations

from nicegui import ui

from components import forms, session, theme
from components.calls import call, write
from components.frame import frame
from pages.urls import not_found_response, parse_id
from portal.services.errors import DomainError, NotFound
from portal.services.payments import new_key, staff


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
    with ui.row().classes('w-full gap-4'):
        ui.html(f'<div class="{theme.CARD} max-w-xs"><p class="text-sm text-slate-700">Balance</p>'
                f'<p data-testid="staff-balance" class="text-2xl font-bold">{money(detail.balance)}</p>'
                f'<p class="{theme.MUTED}">{money(detail.processing)} processing</p></div>', sanitize=False)
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
        ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').props('flat dense').mark('payments')
        refundable = {p.id: f'{p.receipt_number} · {money(p.amount)} (up to {money(p.refundable)})'
                      for p in detail.payments if p.refundable > 0}
        if refundable:
            ui.button('Refund a payment', icon='undo', on_click=lambda: _refund_dialog(actor, refundable)) \
                .props('outline no-caps').mark('refund')
        ui.button('Record cash or check', icon='add', on_click=lambda: _offline_dialog(actor, detail.id)) \
            .props('outline no-caps').mark('record-offline')
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Ledger (latest 100)').classes(theme.H2)
        columns = [{'name': n, 'label': label, 'field': n, 'align': 'left'} for n, label in (
            ('date', 'Date'), ('kind', 'Kind'), ('amount', 'Amount'), ('memo', 'Note'))]
        rows = [{'id': e.id, 'date': forms.short_date(e.effective_date), 'kind': e.kind.replace('_', ' '),
                 'amount': money(e.amount), 'memo': e.memo} for e in detail.entries]
        ui.table(columns=columns, rows=rows, row_key='id').classes('w-full').props('flat dense').mark('ledger')


def _refund_dialog(actor, options: dict[int, str]) -> None:  # noqa: ANN001
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3'):
        ui.label('Refund a payment').classes(theme.H2)
        error = forms.error_message()
        payment = ui.select(options, value=next(iter(options)), label='Payment').props('outlined') \
            .classes('w-full').mark('refund-payment')
        amount = forms.field('Amount to refund', max_length=20, mark='refund-amount').props('prefix=$')
        reason = forms.field('Reason', max_length=200, required='Give a reason for the refund.', mark='refund-reason')
        state = {'key': new_key('refund'), 'busy': False}  # one dialog, one refund: a double click sends it once

        async def submit() -> None:
            if state['busy']:
                return
            forms.set_error(error, '')
            state['busy'] = True
            try:
                message = await call(staff.refund_payment, actor=actor, payment_id=int(payment.value),
                                     amount_text=amount.value or '', reason=reason.value or '',
                                     idempotency_key=f'{state["key"]}:{payment.value}')
            except DomainError as failure:
                forms.show_errors({'amount': amount, 'reason': reason}, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            finally:
                state['busy'] = False
            dialog.close()
            ui.notify(message)
            ui.navigate.reload()

        forms.submit_button('Refund', submit)
    dialog.open()


def _offline_dialog(actor, account_id: int) -> None:  # noqa: ANN001
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3'):
        ui.label('Record cash or check').classes(theme.H2)
        error = forms.error_message()
        method = ui.radio({'cash': 'Cash', 'check': 'Check'}, value='check').props('inline').mark('offline-method')
        amount = forms.field('Amount', max_length=20, mark='offline-amount').props('prefix=$')
        reference = forms.field('Check number or reference', max_length=60, mark='offline-reference')
        state = {'key': new_key('offline'), 'busy': False}  # one dialog, one payment: a double click records it once

        async def submit() -> None:
            if state['busy']:
                return
            forms.set_error(error, '')
            state['busy'] = True
            try:
                await write(staff.record_offline_payment, actor, account_id=account_id, idempotency_key=state['key'],
                            amount_text=amount.value or '', method=method.value, reference=reference.value or '')
            except DomainError as failure:
                forms.show_errors({'amount': amount, 'reference': reference}, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            finally:
                state['busy'] = False
            dialog.close()
            ui.notify('Payment recorded.')
            ui.navigate.reload()

        forms.submit_button('Record payment', submit)
    dialog.open()
