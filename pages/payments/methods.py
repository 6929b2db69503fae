"""/payment-methods: saved cards and bank accounts (brand, last 4, expiry, bank name); make one the
default, remove one, or add one on the gateway's secure page. Never a card number here."""
from __future__ import annotations

from nicegui import ui

from components import chips, dialogs, page, session, theme
from components.calls import call, write
from components.links import go
from portal.errors import DomainError, NotFound
from portal.services.payments import methods


def register() -> None:
    @ui.page('/payment-methods', response_timeout=60)
    async def payment_methods_page(added: str = '', account: str = '') -> None:
        await page.show('Payment methods', path='/payment-methods', none_is_not_found=False,
                        draw=lambda context: _methods(context, added=bool(added)),
                        load=lambda actor: call(methods.load_methods_context, actor=actor,
                                                account_id=page.optional_id(account)))


def _methods(context: methods.MethodsContext | None, *, added: bool) -> None:
    actor = session.actor()
    ui.label('Payment methods').classes(theme.H1).props('role=heading aria-level=1')
    if added:
        ui.label('Thanks. Your new payment method is saved (it may take a moment to appear).') \
            .classes('text-green-800').props('role=status')
    if context is None:
        ui.label('No billing account is linked to your sign-in yet.').classes('text-slate-700')
        return
    account_id = context.account_id
    if context.accounts:  # a parent, guardian or proxy: each account has its own saved methods
        ui.select({key: f'Account {number}' for key, number in context.accounts.items()},
                  value=account_id, label='Account',
                  on_change=lambda event: ui.navigate.to(f'/payment-methods?account={event.value}')) \
            .props('outlined').classes('w-full max-w-xl').mark('account')

    @ui.refreshable
    def listing(rows: list[methods.MethodView]) -> None:
        with ui.column().classes(theme.CARD + ' gap-0 max-w-xl').mark('methods'):
            if not rows:
                ui.label('You have no saved payment methods.').classes('text-slate-700')
            for row in rows:
                _method_row(row)

    def _method_row(row: methods.MethodView) -> None:
        with ui.row().classes('w-full items-center justify-between gap-2 py-3 border-b '
                              'border-slate-100 last:border-0').mark(f'method-{row.id}'):
            with ui.column().classes('gap-0'):
                with ui.row().classes('items-center gap-2'):
                    ui.icon('account_balance' if row.kind == 'us_bank_account' else 'credit_card') \
                        .classes('text-xl text-slate-700')
                    ui.label(row.label).classes('font-medium text-slate-900')
                    if row.is_default:
                        chips.chip('Default', 'brand')
                if row.expiry:
                    ui.label(f'Expires {row.expiry}').classes(theme.MUTED)
            with ui.row().classes('gap-1'):
                if not row.is_default:
                    ui.button('Make default', on_click=lambda r=row: make_default(r.id)) \
                        .props('flat no-caps dense').mark(f'default-{row.id}')
                ui.button('Remove', on_click=lambda r=row: confirm_remove(r)) \
                    .props('flat no-caps dense color=negative').mark(f'remove-{row.id}')

    async def reload() -> None:
        listing.refresh(await write(methods.list_methods, actor=actor, account_id=account_id))

    async def make_default(method_id: int) -> None:
        try:
            await write(methods.set_default, actor=actor, method_id=method_id)
        except NotFound:  # removed in another window meanwhile
            ui.notify('That payment method is no longer saved. Here is your current list.', type='warning')
        else:
            ui.notify('Default payment method changed.')
        await reload()

    def confirm_remove(row: methods.MethodView) -> None:
        with dialogs.dialog(f'Remove {row.label}?', width='max-w-sm') as dialog:
            ui.label('Payments already made stay as they are. A payment plan using it will need '
                     'another method.').classes('text-slate-700')

            async def remove() -> None:
                dialog.close()
                try:
                    await call(methods.remove_method, actor=actor, method_id=row.id)
                except NotFound:  # removed in another window meanwhile
                    ui.notify('That payment method is no longer saved. Here is your current list.',
                              type='warning')
                    await reload()
                    return
                except DomainError as failure:
                    ui.notify(failure.message, type='negative')
                    return
                ui.notify('Payment method removed.')
                await reload()

            dialogs.actions(dialog, 'Remove', remove, mark='confirm-remove', cancel='Keep it', danger=True)
        dialog.open()

    listing(context.methods)

    async def add() -> None:
        try:
            url = await call(methods.start_setup, actor=actor, account_id=account_id)
        except DomainError as failure:
            ui.notify(failure.message, type='negative')
            return
        go(url)

    ui.button('Add a card or bank account', icon='add', on_click=add) \
        .props('unelevated no-caps').mark('add-method')
    ui.label('You enter card and bank details on the secure payment page, never on ours.') \
        .classes(theme.MUTED)
