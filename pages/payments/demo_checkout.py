"""/demo-checkout/{session_id}: the DemoGateway's hosted checkout (demo mode only; it does not exist
with PAYMENTS=stripe or in production). The one page where a card number is typed: it accepts only
Stripe's test numbers and a test bank account, and keeps none of them."""
from __future__ import annotations

from nicegui import ui

from components import forms, not_found, theme
from components.calls import call
from components.frame import signed_out_card
from components.guards import OneAtATime
from components.links import go
from components.page import parse_id
from portal.payments.demo_gateway import DemoResult
from portal.payments.gateway import GatewayError
from portal.payments.registry import demo_gateway
from portal.services.payments.deliveries import process_events
from portal.services.payments.hosted_checkout import still_payable

HELP = ('Demo checkout: use 4242 4242 4242 4242 (paid), 4000 0000 0000 0002 (declined) or '
        '4000 0027 6000 3184 (your bank asks you to confirm), any future expiry and any CVC.')


def register() -> None:
    @ui.page('/demo-checkout/{session_id}')
    def demo_checkout(session_id: str) -> None:
        demo = demo_gateway()
        request = demo.checkout_request(session_id[:80]) if demo is not None else None
        if request is None:
            not_found.content()
            return
        title = 'Save a payment method' if request.mode == 'setup' else 'Pay'
        with signed_out_card(title, request.description):
            _content(demo, session_id, request)


def _content(demo, session_id: str, request) -> None:  # noqa: ANN001
    if request.mode == 'payment':
        ui.html(f'<p class="text-sm text-slate-600">Amount</p><p data-testid="checkout-amount" '
                f'class="text-3xl font-bold text-slate-900">{forms.money(request.amount, request.currency)}</p>',
                sanitize=False)
    if demo.checkout_state(session_id) == 'complete':
        ui.label('This checkout is finished.').classes('text-slate-800')
        ui.link('Continue', request.success_url).classes('text-teal-800')
        return
    if demo.checkout_state(session_id) == 'expired':  # replaced by a newer one: it can take no payment
        ui.label('This checkout has ended. Nothing was charged.').classes('text-slate-800')
        ui.link('Back to paying', request.cancel_url).classes('text-teal-800')
        return
    error = forms.error_message()
    auth_box = ui.column().classes('w-full gap-2').mark('authenticate')

    async def finish(result: DemoResult) -> None:
        if result.state in ('succeeded', 'processing', 'saved'):
            await call(process_events, events=list(result.events), gateway_name='demo')
            go(request.success_url)
        elif result.state == 'authenticate':
            tabs_box.classes(add='hidden')
            with auth_box:
                ui.label('Confirm this payment').classes(theme.H2)
                ui.label('Demo: your bank would now ask you to confirm it is you.').classes('text-slate-700')
                ui.button('Confirm', on_click=lambda: guarded(lambda: demo.authenticate(session_id, approve=True))) \
                    .props('unelevated no-caps size=lg').classes(theme.BIG_BUTTON).mark('approve')
                ui.button('Do not confirm', on_click=lambda: guarded(refuse)).props('flat no-caps').mark('refuse')
        else:
            forms.set_error(error, result.message)

    def refuse() -> DemoResult:
        auth_box.clear()
        tabs_box.classes(remove='hidden')
        return demo.authenticate(session_id, approve=False)

    @OneAtATime  # a double click pays once
    async def guarded(action) -> None:  # noqa: ANN001
        forms.set_error(error, '')
        try:
            if request.mode == 'payment':
                attempt = request.metadata.get('attempt_id', '')
                refused = await call(still_payable, attempt_id=parse_id(attempt))
                if refused:
                    forms.set_error(error, refused)
                    return
            await finish(action())
        except GatewayError as failure:
            forms.set_error(error, failure.message)

    with ui.column().classes('w-full gap-3') as tabs_box:
        with ui.tabs().classes('w-full').props('align=justify no-caps') as tabs:
            card_tab = ui.tab('Card')
            bank_tab = ui.tab('Bank account')
        with ui.tab_panels(tabs, value=card_tab).classes('w-full'):
            with ui.tab_panel(card_tab).classes('gap-3 px-0'):
                ui.label(HELP).classes(theme.MUTED)
                number = forms.field('Card number', max_length=23, mark='card-number') \
                    .props('inputmode=numeric autocomplete=off')
                with ui.row().classes('w-full no-wrap gap-2'):
                    expiry = forms.field('Expiry (MM/YY)', max_length=5, mark='card-expiry').props('autocomplete=off')
                    cvc = forms.field('CVC', max_length=4, mark='card-cvc').props('inputmode=numeric autocomplete=off')

                def pay_card() -> DemoResult:
                    month, year = _expiry(expiry.value or '')
                    typed = number.value or ''
                    number.value, cvc.value = '', ''  # nothing typed stays on the page either
                    return demo.submit_card(session_id, typed, exp_month=month, exp_year=year)

                label = 'Save card' if request.mode == 'setup' else f'Pay {forms.money(request.amount)}'
                forms.submit_button(label, lambda: guarded(pay_card)).mark('pay-card')
            with ui.tab_panel(bank_tab).classes('gap-3 px-0'):
                ui.label('Demo bank account: routing 110000000, account 000123456789. Bank payments stay '
                         '"processing" for a few days before they settle.').classes(theme.MUTED)
                routing = forms.field('Routing number', max_length=9, mark='routing').props('inputmode=numeric')
                account = forms.field('Account number', max_length=17, mark='bank-account') \
                    .props('inputmode=numeric autocomplete=off')

                def pay_bank() -> DemoResult:
                    typed = (routing.value or '', account.value or '')
                    account.value = ''
                    return demo.submit_bank(session_id, *typed)

                forms.submit_button('Pay by bank' if request.mode == 'payment' else 'Save bank account',
                                    lambda: guarded(pay_bank)).mark('pay-bank')
        ui.link('Cancel and go back', request.cancel_url).classes('text-teal-800').mark('cancel')


def _expiry(text: str) -> tuple[int | None, int | None]:
    month, _, year = text.partition('/')
    if month.strip().isdigit() and year.strip().isdigit():
        return int(month), 2000 + int(year) % 100
    return None, None
