"""Setting up a payment plan: a monthly amount or a number of months, the schedule redrawn as the patient
types (pure arithmetic, no database), the agreement to sign, and autopay or paying each one by hand."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import forms, session, theme
from components.calls import call
from portal.errors import DomainError, ValidationFailed
from portal.money import AmountError, parse_amount
from portal.services.plans import schedules, signing
from portal.services.plans.signing import PlanStart

BY_AMOUNT, BY_MONTHS = 'amount', 'months'
BY_HAND = 0  # the radio value of "pay each installment by hand"


def schedule_html(schedule: schedules.Schedule) -> str:
    rows = ''.join(
        f'<li class="flex justify-between gap-3 py-1 border-b border-slate-100">'
        f'<span>{"Down payment, today" if item.seq == 0 else forms.long_date(item.due_date)}</span>'
        f'<span class="font-medium tabular-nums">{forms.money(item.amount)}</span></li>'
        for item in schedule.installments)
    summary = (f'{schedule.months} monthly payment{"s" if schedule.months != 1 else ""} of '
               f'{forms.money(schedule.monthly)}')
    if schedule.months > 1 and schedule.installments[-1].amount != schedule.monthly:
        summary += f', the last one {forms.money(schedule.installments[-1].amount)}'
    return (f'<p class="font-medium text-slate-900" data-testid="plan-summary">{escape(summary)}. '
            f'Total {forms.money(schedule.total)}, no interest.</p>'
            f'<ul class="w-full list-none p-0 m-0" data-testid="schedule">{rows}</ul>')


def setup_form(start: PlanStart) -> None:
    bounds = start.bounds
    with ui.column().classes(theme.CARD + ' gap-3').props('aria-label="Set up a payment plan"'):
        ui.label('Set up a payment plan').classes(theme.H2).props('role=heading aria-level=2')
        ui.label(f'Owed now, for the plan: {forms.money(start.payable)}').classes('text-lg').mark('plan-balance')
        if start.waiting:
            ui.label(f'{forms.money(start.waiting)} is waiting for insurance and is not in the plan: we will ask '
                     'for it only once your insurance has paid its part.').classes(theme.MUTED).mark('plan-waiting')
        ui.label(f'Pay at least {forms.money(bounds.min_installment)} a month, for up to {bounds.max_months} '
                 'months. No interest, no fees.'
                 + (f' A down payment of {bounds.down_payment_percent}% is due today.'
                    if bounds.down_payment_percent else '')).classes('text-slate-700')
        error = forms.error_message().mark('plan-error')
        mode = ui.toggle({BY_AMOUNT: 'Monthly amount', BY_MONTHS: 'Number of months'}, value=BY_MONTHS) \
            .props('no-caps spread unelevated toggle-color=primary').classes('w-full').mark('mode')
        suggested = min(bounds.max_months, max(1, start.payable // max(1, bounds.min_installment)), 6)
        monthly = ui.input('Monthly amount ($)', value='').props('outlined inputmode=decimal maxlength=12') \
            .classes('w-full').mark('monthly')
        months = ui.select({n: f'{n} month{"s" if n != 1 else ""}' for n in range(1, bounds.max_months + 1)},
                           value=suggested, label='Number of months').props('outlined').classes('w-full').mark('months')
        today = start.today
        day = ui.select({n: f'Day {n} of each month' for n in range(1, schedules.MAX_DAY_OF_MONTH + 1)},
                        value=min(today.day, schedules.MAX_DAY_OF_MONTH), label='Payment day') \
            .props('outlined').classes('w-full').mark('day')
        preview = ui.html('', sanitize=False).classes('w-full').props('aria-live=polite').mark('preview')

        def current_schedule() -> schedules.Schedule:
            if mode.value == BY_AMOUNT:
                try:
                    amount = parse_amount(monthly.value or '')
                except AmountError as problem:
                    raise ValidationFailed(str(problem), field_errors={'monthly': str(problem)}) from None
                return schedules.build(balance=start.payable, bounds=bounds, today=start.today,
                                   day_of_month=int(day.value), monthly=amount)
            return schedules.build(balance=start.payable, bounds=bounds, today=start.today,
                               day_of_month=int(day.value), months=int(months.value or 0))

        def redraw() -> None:
            monthly.set_visibility(mode.value == BY_AMOUNT)
            months.set_visibility(mode.value == BY_MONTHS)
            monthly.error = None
            try:
                schedule = current_schedule()
            except ValidationFailed as problem:
                if mode.value == BY_AMOUNT and not (monthly.value or '').strip():
                    preview.content = '<p class="text-slate-600">Type a monthly amount to see your schedule.</p>'
                    return
                monthly.error = problem.field_errors.get('monthly')
                preview.content = f'<p class="text-red-800" role="alert">{escape(problem.message)}</p>'
                return
            preview.content = schedule_html(schedule)

        for element in (mode, months, day):
            element.on_value_change(redraw)
        monthly.on('update:model-value', redraw, throttle=0.3)
        monthly.on_value_change(redraw)
        redraw()

        ui.label('The agreement').classes('font-semibold text-slate-900 mt-2')
        ui.label(start.terms).classes('text-slate-700 text-sm whitespace-pre-line').mark('terms')
        methods = {method.id: f'Autopay with {method.label}' for method in start.methods}
        methods[BY_HAND] = 'Pay each installment myself'
        how = ui.radio(methods, value=start.methods[0].id if start.methods else BY_HAND).mark('autopay')
        if not start.methods:
            ui.html('<p class="text-slate-700 text-sm">To use autopay, <a class="text-teal-800 underline" '
                    'href="/payment-methods">add a card or bank account</a> first.</p>', sanitize=False)
        signature = forms.field('Type your full name to sign', max_length=160, autocomplete='name', mark='signature')
        ui.label(f'Sign as the account holder, {start.guarantor_name}.').classes(theme.MUTED)
        consent = ui.checkbox('I agree to the payment plan terms above.').mark('consent')
        consent_error = ui.label('').classes('text-red-800 text-sm hidden').mark('consent-error')

        async def submit() -> None:
            forms.set_error(error, '')
            signature.error = None
            consent_error.classes(add='hidden')
            chosen_monthly = chosen_months = None
            try:
                if mode.value == BY_AMOUNT:
                    chosen_monthly = current_schedule().monthly if (monthly.value or '').strip() else 0
                else:
                    chosen_months = int(months.value or 0)
            except ValidationFailed as problem:
                forms.set_error(error, problem.message)
                return
            try:
                await call(signing.sign, actor=session.actor(), account_id=start.account_id,
                           day_of_month=int(day.value), monthly=chosen_monthly, months=chosen_months,
                           signed_name=signature.value or '', consent=bool(consent.value),
                           autopay_method_id=how.value or None, expected_balance=start.payable)
            except DomainError as problem:
                forms.set_error(error, problem.message)
                signature.error = problem.field_errors.get('signed_name')
                if 'consent' in problem.field_errors:
                    consent_error.text = problem.field_errors['consent']
                    consent_error.classes(remove='hidden')
                return
            ui.navigate.to('/plans')

        least = max(bounds.min_installment, -(-start.payable // bounds.max_months))
        monthly.props(f'hint="At least {forms.money(min(least, start.payable))}"')
        forms.submit_button('Sign and start the plan', submit)
