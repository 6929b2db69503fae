"""/pay: signed-in patients pay the amount due, one statement or another amount (with a saved method
or on the gateway's checkout page); signed-out visitors pay a statement with its quick-pay code."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape

from nicegui import ui

from components import dialogs, forms, page, session, theme
from components.calls import call
from components.frame import signed_out_card
from components.guards import OneAtATime
from components.links import go
from portal.errors import DomainError, RateLimited
from portal.services.attempt_targets import statement_of, statement_target
from portal.services.identity.registration import parse_date_of_birth
from portal.services.payments import attempts, checkout, core, guest, hosted_checkout
from portal.services.payments.checkout import PayContext

NEW_METHOD = 0


def register() -> None:
    @ui.page('/pay', response_timeout=60)
    async def pay_page(statement: str = '', code: str = '', cancelled: str = '', account: str = '') -> None:
        auth = session.current_auth()
        if auth is not None and auth.get('mfa_ok') and not session.is_staff(auth):
            # a 404 when the statement or account in the URL is malformed, missing or someone else's
            await page.show('Pay', path='/pay', none_is_not_found=False,
                            draw=lambda context: _signed_in(context, cancelled=bool(cancelled)),
                            load=lambda actor: call(checkout.load_pay_context, actor=actor,
                                                    statement_id=page.optional_id(statement),
                                                    account_id=page.optional_id(account)))
            return
        guest_page(code=code[:20], cancelled=bool(cancelled))


def _signed_in(context: PayContext | None, *, cancelled: bool) -> None:
    ui.label('Pay your bill').classes(theme.H1).props('role=heading aria-level=1')
    if cancelled:
        ui.label('Payment cancelled. Nothing was charged.').classes('text-slate-700').props('role=status')
    if context is None:  # no account linked to this sign-in
        ui.label('We could not find a bill to pay. Call the billing office and we will help.') \
            .classes('text-slate-700')
        return
    _pay_form(context)


def _pay_form(context: PayContext) -> None:
    money = lambda minor: forms.money(minor, context.currency)  # noqa: E731
    if context.accounts:  # a parent, guardian or proxy with several accounts
        ui.select({account_id: f'Account {number}' for account_id, number in context.accounts.items()},
                  value=context.account_id, label='Account to pay',
                  on_change=lambda event: ui.navigate.to(f'/pay?account={event.value}')) \
            .props('outlined').classes('w-full max-w-xl').mark('account')
    with ui.column().classes(theme.CARD + ' gap-3 max-w-xl'):
        due = context.installment.amount if context.installment else context.payable
        ui.html(f'<h2 class="text-base font-medium text-slate-700">Amount due</h2>'
                f'<p data-testid="amount-due" class="text-4xl font-bold text-slate-900 my-1">'
                f'{money(due)}</p>', sanitize=False)
        if context.installment:
            ui.label(f'Your plan payment is due {forms.long_date(context.installment.due_date)}. '
                     + balance_parts(context, money)).classes(theme.MUTED).mark('plan-balance')
        if context.processing and not context.installment:  # on a plan, balance_parts names it
            ui.label(f'{money(context.processing)} in payments still processing is already counted.') \
                .classes(theme.MUTED)
        if context.waiting and not context.installment:
            ui.label(f'{money(context.waiting)} is waiting for insurance: we will ask for it only once your '
                     'insurance has paid its part.').classes(theme.MUTED).mark('waiting-for-insurance')
        if context.payable <= 0:
            ui.label('Nothing is due right now. Thank you!').classes('text-slate-800').mark('nothing-due')
            if context.ceiling <= 0:
                return
            ui.label('You may still pay ahead toward what is waiting for insurance.').classes('text-slate-800')
        options = _choices(context, money)
        initial = next(iter(options)) if context.installment else \
            next((key for key in options if key == statement_target(context.selected_statement)), next(iter(options)))
        ui.label('How much?').classes('font-medium text-slate-800')
        choice = ui.radio(options, value=initial).props('aria-label="How much to pay"').mark('choice')
        amount = forms.field(f'Amount (from $1.00 up to {money(context.ceiling)})', max_length=20,
                             mark='amount').props('inputmode=decimal prefix=$')
        amount.bind_visibility_from(choice, 'value', value='other')
        ui.label('Pay with').classes('font-medium text-slate-800')
        methods = {method.id: method.label + (f' · expires {method.expiry}' if method.expiry else '')
                   for method in context.methods}
        methods[NEW_METHOD] = 'A new card or bank account'
        default = next((method.id for method in context.methods if method.is_default), NEW_METHOD)
        method = ui.radio(methods, value=default).props('aria-label="Pay with"').mark('method')
        save = ui.checkbox('Save this card or bank account for future payments. I agree that '
                           'the practice may charge it when I ask it to (for example, for a payment plan).') \
            .mark('save-method')
        save.bind_visibility_from(method, 'value', value=NEW_METHOD)
        error = forms.error_message()
        state = {'key': core.new_key()}

        @OneAtATime  # a double click reads (and asks) once
        async def submit() -> None:
            if pay.running or _open(state.get('dialog')):  # one confirm dialog at a time; one request
                return
            forms.set_error(error, '')
            amount.error = None
            selected = str(choice.value)
            statement_id = statement_of(selected)
            kind = selected if statement_id is None else 'statement'
            request = (selected, amount.value or '' if selected == 'other' else '')
            if state.setdefault('request', request) != request:  # another amount: never the old key's charge
                state['key'], state['request'] = core.new_key(), request
            chosen = dict(account_id=context.account_id, choice=kind, amount_text=amount.value or '',
                          statement_id=statement_id)
            saved = method.value or None
            if saved is None:
                await pay(chosen, None, None)
                return
            try:  # a saved method is charged at once: the patient first sees what we read and confirms it
                preview = await call(checkout.preview_payment, actor=session.actor(), method_id=saved, **chosen)
            except DomainError as failure:
                show_failure(failure)
                return
            state['dialog'] = _confirm(preview, lambda: pay(chosen, saved, preview.amount))

        def show_failure(failure: DomainError) -> None:
            if isinstance(failure, attempts.AttemptChanged):
                state['key'] = core.new_key()
            if 'amount' in failure.field_errors:
                amount.error = failure.field_errors['amount']
            forms.set_error(error, failure.message)

        @OneAtATime
        async def pay(chosen: dict, saved: int | None, confirmed: int | None) -> None:
            try:
                result = await call(checkout.start_payment, actor=session.actor(), idempotency_key=state['key'],
                                    method_id=saved, save_method=bool(save.value),
                                    confirmed_amount=confirmed, **chosen)
            except DomainError as failure:
                show_failure(failure)
                return
            if result.redirect_url:
                go(result.redirect_url)
            elif result.outcome is not None:
                if result.outcome.status == 'failed':
                    state['key'] = core.new_key()  # that attempt is over: a retry is a new one
                    forms.set_error(error, result.outcome.message)
                    return
                go(hosted_checkout.done_url(result.outcome.attempt_id))

        button = forms.submit_button('Continue to payment', submit)
        submit.disables(button)
        pay.disables(button)
        ui.label('Card and bank details are entered on the secure payment page, never on ours.') \
            .classes(theme.MUTED)


def _choices(context: PayContext, money: Callable[[int], str]) -> dict[str, str]:
    """The amounts to choose from, the one due first: this month's installment on a plan."""
    options = {}
    if context.installment:
        options['installment'] = f"This month's installment · {money(context.installment.amount)}"
        options['full'] = f'Everything due now · {money(context.payable)}'
    elif context.payable > 0:  # else all that is left waits for insurance: only another amount (paying ahead)
        options['full'] = f'Full amount due · {money(context.payable)}'
    for item in context.statements:
        options[statement_target(item.id)] = (f'Statement of {forms.short_date(item.statement_date)} · '
                                              f'{money(item.amount_due)}')
    options['other'] = 'Another amount'
    return options


def balance_parts(context: PayContext, money: Callable[[int], str]) -> str:
    """The balance named with its parts, which add up to it: what is left on the plan, anything owed apart
    from the plan (a visit the plan left out, a new charge), payments still processing and what is waiting
    for insurance."""
    assert context.installment is not None
    apart = context.installment.apart_from(context.payable)
    parts = [f'{money(context.payable - apart)} left on your plan']
    if apart:
        parts.append(f'{money(apart)} owed apart from your plan')
    if context.processing:
        parts.append(f'{money(context.processing)} in payments still processing')
    if context.waiting:
        parts.append(f'{money(context.waiting)} waiting for insurance')
    if len(parts) == 1:
        return f'Your balance is {money(context.balance)}, all of it left on your plan.'
    return f'Your balance is {money(context.balance)}: {", ".join(parts[:-1])} and {parts[-1]}.'


def _open(dialog: ui.dialog | None) -> bool:
    return dialog is not None and not dialog.is_deleted and bool(dialog.value)


def _confirm(preview: checkout.PaymentPreview, pay: Callable[[], Awaitable[None]]) -> ui.dialog:
    """"Pay $4.60 with Visa ending 4242?": Cancel changes nothing; the button names the amount again.
    Returns the open dialog."""
    async def confirmed() -> None:
        await pay()  # the dialog stays up meanwhile; a second click is refused by pay's guard
        dialog.close()

    with dialogs.dialog('Confirm your payment') as dialog:
        ui.label(preview.question).classes('text-lg text-slate-900').mark('confirm-question')
        ui.label('It is charged as soon as you confirm.').classes(theme.MUTED)
        dialogs.actions(dialog, f'Pay {forms.money(preview.amount, preview.currency)}', confirmed, mark='confirm-pay')
    dialog.open()
    return dialog


def guest_page(*, code: str, cancelled: bool) -> None:
    card = signed_out_card('Pay a bill', 'Use the quick-pay code printed on your statement. No sign-in needed.')
    with card:
        if cancelled:
            ui.label('Payment cancelled. Nothing was charged.').classes('text-slate-700').props('role=status')
        error = forms.error_message()
        code_input = forms.field('Quick-pay code', max_length=20, required='Enter the quick-pay code.',
                                 mark='code').props('autocapitalize=characters autocomplete=off')
        code_input.value = code
        birth = forms.field("Patient's date of birth", max_length=10, kind='date',
                            required="Enter the patient's date of birth.", mark='birth').props('stack-label')
        found_box = ui.column().classes('w-full gap-2')

        async def find() -> None:
            forms.set_error(error, '')
            if not forms.all_valid({'code': code_input, 'birth': birth}):
                return
            try:
                found = await call(guest.lookup, code=code_input.value, ip=session.client_ip(),
                                   date_of_birth=parse_date_of_birth(birth.value))
            except (RateLimited, DomainError) as failure:
                forms.set_error(error, failure.message)
                return
            lookup.classes(add='hidden')
            code_input.disable()
            birth.disable()
            _guest_found(found_box, found)

        lookup = forms.submit_button('Find my bill', find)
        ui.html('<p class="text-sm text-slate-600">Have an account? <a class="text-teal-800 underline" '
                'href="/?next=/pay">Sign in</a> to see your statements and saved cards.</p>', sanitize=False)


def _guest_found(box: ui.column, found: guest.GuestStatement) -> None:
    """The bill found; on a current plan this month's installment is what is due (the first button), the
    whole amount due a second choice."""
    box.clear()
    money = lambda minor: forms.money(minor, found.currency)  # noqa: E731
    due = found.installment or found.amount_due
    with box:
        plan_note = (f'<p class="text-sm text-slate-600">Your plan payment this month. The whole amount due is '
                     f'{money(found.amount_due)}.</p>' if found.installment else '')
        ui.html(f'<div class="rounded-lg bg-slate-50 border border-slate-200 p-3" data-testid="guest-bill">'
                f'<p class="text-slate-800">Hi {escape(found.first_name)}.</p>'
                f'<p class="text-slate-700">Statement of {forms.long_date(found.statement_date)}</p>'
                f'<p class="text-sm text-slate-600 mt-2">Amount due</p>'
                f'<p data-testid="amount-due" class="text-3xl font-bold text-slate-900">'
                f'{money(due)}</p>{plan_note}</div>', sanitize=False).classes('w-full')
        if due <= 0:
            ui.label('Nothing is due on this statement. Thank you!').classes('text-slate-800')
            return
        error = forms.error_message()
        keys = {choice: core.new_key() for choice in guest.GUEST_CHOICES}

        @OneAtATime  # a double click starts one checkout
        async def pay(choice: str) -> None:
            try:
                url = await call(guest.start_guest_payment, grant=found.grant, idempotency_key=keys[choice],
                                 choice=choice)
            except DomainError as failure:
                if isinstance(failure, attempts.AttemptChanged):
                    keys[choice] = core.new_key()
                forms.set_error(error, failure.message)
                return
            go(url)

        if found.installment:
            forms.submit_button(f'Pay {money(found.installment)}', lambda: pay('installment')).mark('pay')
            if found.amount_due > found.installment:
                ui.button(f'Pay the whole amount due · {money(found.amount_due)}', on_click=lambda: pay('statement')) \
                    .props('flat no-caps').classes('text-teal-800').mark('pay-whole')
        else:
            forms.submit_button(f'Pay {money(found.amount_due)}', lambda: pay('statement')).mark('pay')
