"""/plans: the account's payment plan (progress, next payment, history, the changes the policy allows), or
the form to set one up when there is none."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import chips, dialogs, forms, page, session, theme
from components.calls import call, read, write
from components.links import go
from pages.patient.plan_setup import BY_HAND, setup_form
from portal.auth.permissions import account_relationships
from portal.errors import DomainError
from portal.models import PlanStatus
from portal.services.plans import paying, schedules, signing, tracking
from portal.services.plans.signing import PlanStart
from portal.services.plans.tracking import InstallmentLine, PlanView

IN_FLIGHT = ('Payment processing', 'warn')  # everything left is covered by bank money
LINE_STATUS = {  # status -> (what the patient reads, how it looks)
    'paid': ('Paid', 'text-slate-600'), 'scheduled': ('Scheduled', 'text-slate-600'),
    'due': ('Due today', 'text-slate-900 font-semibold'), 'past_due': ('Past due', 'text-red-800 font-semibold'),
    'failed': ('Did not go through', 'text-red-800 font-semibold'),
    'processing': ('Processing', 'text-amber-900 font-semibold'), 'skipped': ('Not needed', 'text-slate-600')}


def register() -> None:
    @ui.page('/plans', response_timeout=60)
    async def plans_page() -> None:
        await page.show('Payment plans', path='/plans', draw=_accounts,
                        load=lambda actor: read(account_relationships, actor.user_id))


async def _accounts(relationships: dict[int, str]) -> None:
    account_ids, actor = list(relationships), session.actor()
    ui.label('Payment plan').classes(theme.H1).props('role=heading aria-level=1')
    if not account_ids:
        ui.label('No billing account is linked to your sign-in yet.').classes('text-slate-700')
        return
    for account_id in account_ids:
        view = await write(tracking.overview, actor=actor, account_id=account_id)
        if view is not None:
            start = await write(signing.start, actor=actor, account_id=account_id)
            progress(view, start)
            continue
        start = await write(signing.start, actor=actor, account_id=account_id)
        if start.eligible:
            setup_form(start)
        else:
            with ui.column().classes(theme.CARD + ' gap-2'):
                ui.label(start.reason).classes('text-slate-800').mark('not-eligible')
                if start.payable > 0:  # nothing owed now: nothing to pay either
                    ui.link('Pay your balance', '/pay').classes('text-teal-800 text-base')


def progress(view: PlanView, start: PlanStart) -> None:
    label, tone = chips.look(view.status, chips.PLAN)
    if view.status == PlanStatus.active and view.processing and not view.remaining:
        label, tone = IN_FLIGHT
    with ui.column().classes(theme.CARD + ' gap-3').props('aria-label="Your payment plan"'):
        ui.html(f'<div class="flex items-center gap-2"><h2 class="{theme.H2}">Your plan</h2>'
                f'{chips.chip_html(label, tone, test_id="plan-status")}</div>', sanitize=False)
        if view.next_date is not None:
            ui.html(f'<p class="text-slate-700">Next payment</p><p data-testid="next-payment" class="text-3xl '
                    f'font-bold text-slate-900">{forms.money(view.next_amount)}</p><p class="text-slate-800">on '
                    f'{forms.long_date(view.next_date)}</p>', sanitize=False).mark('next-payment')
        ui.html(_figures(view), sanitize=False).classes('w-full').mark('progress')
        _notices(view)
        how = (f'Autopay with {view.autopay_label}: each payment is charged on its date.' if view.autopay_label
               else 'You pay each installment yourself by its date.')
        ui.label(how).classes('text-slate-800').mark('how-paid')
        if view.remaining:
            error = forms.error_message()

            async def pay_now() -> None:
                try:
                    url = await call(paying.pay_next_now, actor=session.actor(), plan_id=view.id)
                except DomainError as problem:
                    forms.set_error(error, problem.message)
                    return
                go(url)

            ahead = view.autopay_label and view.status == PlanStatus.active
            label = f'Pay ahead ({forms.money(view.next_amount)})' if ahead \
                else f'Pay {forms.money(view.next_amount)} now'
            ui.button(label, on_click=pay_now).props('unelevated no-caps size=lg') \
                .classes(theme.BIG_BUTTON + ' md:w-80').mark('pay-installment')
    _history(view)
    if view.status in (PlanStatus.active, PlanStatus.delinquent):
        _changes(view, start)


def _notices(view: PlanView) -> None:
    alert = 'text-red-900 bg-red-50 border border-red-200 rounded-lg px-3 py-2'
    update = '<a class="underline" href="/payment-methods">Update your payment method</a>'
    if view.returned:
        ui.html(f'<p role="alert" class="{alert}">Your bank returned a payment of {forms.money(view.returned)}, so '
                f'it was not paid. The installments it covered are due again. {update}, then pay what is due.</p>',
                sanitize=False).mark('payment-returned')
    elif view.status == PlanStatus.delinquent:
        ui.html(f'<p role="alert" class="{alert}">A payment did not go through. {update}, then choose it below, '
                'or pay the amount due now.</p>', sanitize=False)
    if view.processing:
        settled = 'Your plan is paid off once it settles.' if not view.remaining else ''
        ui.html(f'<p role="status" class="text-amber-950 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2">'
                f'{forms.money(view.processing)} is a bank payment still processing. Bank payments take a few '
                f'business days; the installments it covers show as processing until then. {settled}</p>',
                sanitize=False).mark('plan-processing')


def _figures(view: PlanView) -> str:
    percent = 0 if not view.total else round(100 * view.paid / view.total)
    in_flight = 0 if not view.total else min(100 - percent, round(100 * view.processing / view.total))
    return (f'<div class="w-full h-2 rounded-full bg-slate-200 flex overflow-hidden" role="progressbar" '
            f'aria-label="Paid so far" aria-valuenow="{percent}" aria-valuemin="0" aria-valuemax="100">'
            f'<div class="h-2 bg-teal-700" style="width:{percent}%"></div>'
            f'<div class="h-2 bg-amber-500" style="width:{in_flight}%"></div></div>'
            f'<dl class="grid {"grid-cols-3" if view.processing else "grid-cols-2"} gap-2 mt-2"><div>'
            f'<dt class="{theme.MUTED}">Paid</dt>'
            f'<dd data-testid="plan-paid" class="text-lg font-semibold">{forms.money(view.paid)}</dd></div>'
            + (f'<div><dt class="{theme.MUTED}">Processing</dt><dd data-testid="plan-processing-amount" '
               f'class="text-lg font-semibold">{forms.money(view.processing)}</dd></div>' if view.processing else '') +
            f'<div><dt class="{theme.MUTED}">Remaining</dt><dd data-testid="plan-remaining" class="text-lg '
            f'font-semibold">{forms.money(view.remaining)}</dd></div></dl>'
            f'<p class="{theme.MUTED}">Plan total {forms.money(view.total)} · signed by {escape(view.signed_name)} '
            f'(terms {escape(view.terms_version)})</p>')


def _history(view: PlanView) -> None:
    rows = ''.join(_line(line) for line in view.lines)
    ui.html(f'<section class="{theme.CARD}" aria-label="Schedule"><h2 class="{theme.H2}">Schedule</h2>'
            f'<ul class="list-none p-0 m-0" data-testid="plan-schedule">{rows}</ul></section>',
            sanitize=False).classes('w-full').mark('plan-history')


def _line(line: InstallmentLine) -> str:
    label, style = LINE_STATUS.get(line.status, (line.status, 'text-slate-600'))
    owed = line.still_due and line.still_due != line.amount
    amount = f'{forms.money(line.still_due)} of {forms.money(line.amount)}' if owed else forms.money(line.amount)
    return (f'<li class="flex flex-wrap justify-between gap-x-3 py-2 border-b border-slate-100" '
            f'data-status="{escape(line.status)}">'
            f'<span>{"Down payment" if line.seq == 0 else forms.short_date(line.due_date)}</span>'
            f'<span class="flex gap-3"><span class="text-sm {style}">{escape(label)}</span>'
            f'<span class="font-medium tabular-nums">{amount}</span></span></li>')


def _changes(view: PlanView, start: PlanStart) -> None:
    with ui.column().classes(theme.CARD + ' gap-3').props('aria-label="Change your plan"'):
        ui.label('Change your plan').classes(theme.H2).props('role=heading aria-level=2')
        error = forms.error_message().mark('change-error')

        async def apply(function, **kwargs) -> None:  # noqa: ANN001, ANN003
            forms.set_error(error, '')
            try:
                await write(function, actor=session.actor(), plan_id=view.id, **kwargs)
            except DomainError as problem:
                forms.set_error(error, problem.message)
                return
            ui.navigate.to('/plans')

        if view.status == PlanStatus.active:
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                day = ui.select({n: f'Day {n}' for n in range(1, schedules.MAX_DAY_OF_MONTH + 1)},
                                value=view.day_of_month, label='Payment day').props('outlined') \
                    .classes('grow').mark('new-day')
                ui.button('Change day', on_click=lambda: apply(tracking.change_day, day_of_month=int(day.value))) \
                    .props('outline no-caps').mark('change-day')
        methods = {method.id: f'Autopay with {method.label}' for method in start.methods}
        methods[BY_HAND] = 'Pay each installment myself'
        # wraps: a long method label would otherwise push "Save" out of the card on a phone
        with ui.row().classes('w-full items-center gap-2'):
            method = ui.select(methods, value=view.autopay_method_id or BY_HAND, label='How you pay') \
                .props('outlined').classes('grow min-w-0 max-w-full').mark('new-method')
            ui.button('Save', on_click=lambda: apply(tracking.change_autopay, method_id=method.value or None)) \
                .props('outline no-caps').mark('change-method')

        def confirm_cancel() -> None:
            async def cancel() -> None:
                dialog.close()
                await apply(tracking.cancel)

            with dialogs.dialog('Cancel your payment plan?', width='max-w-sm') as dialog:
                ui.label(f'The remaining {forms.money(view.remaining)} will be due as billed on your statements.') \
                    .classes('text-slate-700')
                dialogs.actions(dialog, 'Cancel the plan', cancel, mark='confirm-cancel', cancel='Keep the plan',
                                danger=True)
            dialog.open()

        ui.button('Cancel the plan', on_click=confirm_cancel).props('flat no-caps color=negative') \
            .classes('self-start').mark('cancel-plan')
