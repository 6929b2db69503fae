"""/staff/plans: the plan policy card, the past-due queue (accounts needing attention) and active plans."""
from __future__ import annotations

from nicegui import ui

from components import forms, page, session, theme
from components.calls import write
from portal.errors import DomainError
from portal.services.plans import policy_card
from portal.services.plans.queues import QueueRow, Queues, staff_queues

COLUMNS = [
    {'name': 'account', 'label': 'Account', 'field': 'account', 'align': 'left', 'sortable': True},
    {'name': 'name', 'label': 'Guarantor', 'field': 'name', 'align': 'left', 'sortable': True},
    {'name': 'remaining', 'label': 'Remaining', 'field': 'remaining', 'align': 'right'},
    {'name': 'next_due', 'label': 'Oldest open date', 'field': 'next_due', 'align': 'left', 'sortable': True},
    {'name': 'autopay', 'label': 'Autopay', 'field': 'autopay', 'align': 'left'},
    {'name': 'attempts', 'label': 'Attempts', 'field': 'attempts', 'align': 'right'},
    {'name': 'last_attempt', 'label': 'Last attempt', 'field': 'last_attempt', 'align': 'left', 'sortable': True},
]


def register() -> None:
    @ui.page('/staff/plans', response_timeout=60)
    async def staff_plans() -> None:
        async def load(actor) -> tuple[policy_card.PolicyView, Queues]:  # noqa: ANN001
            return await write(policy_card.for_staff, actor=actor), await write(staff_queues, actor=actor)

        await page.show('Payment plans', path='/staff/plans', load=load, draw=_plans)


def _plans(loaded: tuple[policy_card.PolicyView, Queues]) -> None:
    snapshot, queues = loaded
    ui.label('Payment plans').classes(theme.H1).props('role=heading aria-level=1')
    _policy_card(snapshot)
    _queue('Past due: needs attention', queues.delinquent, 'delinquent-queue',
           'No past-due plans. Plans land here after a payment fails three times or one paid by hand is '
           'a week late.')
    _queue(f'Active plans ({queues.active_count:,})', queues.active, 'active-queue', 'No active plans.')


def _policy_card(snapshot: policy_card.PolicyView) -> None:
    min_balance, min_installment, max_months = snapshot.min_balance, snapshot.min_installment, snapshot.max_months
    down, rule, version = snapshot.down_payment_percent, snapshot.new_charges_rule, snapshot.terms_version
    with ui.column().classes(theme.CARD + ' gap-3 max-w-2xl').props('aria-label="Plan policy"'):
        ui.label('Plan policy').classes(theme.H2).props('role=heading aria-level=2')
        ui.label(f'No interest. Changes apply to plans signed from now on (terms version {version}).') \
            .classes(theme.MUTED).mark('terms-version')
        error = forms.error_message().mark('policy-error')
        done = ui.label('').classes('text-green-800 hidden').props('role=status').mark('policy-saved')
        with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 gap-3'):
            fields = {
                'min_balance': forms.field('Minimum balance to qualify ($)', max_length=12, mark='min_balance'),
                'min_installment': forms.field('Minimum monthly payment ($)', max_length=12, mark='min_installment'),
                'max_months': forms.field('Maximum months', max_length=3, mark='max_months'),
                'down_payment_percent': forms.field('Down payment (% of balance, 0 for none)', max_length=3,
                                                    mark='down_payment_percent'),
            }
        fields['min_balance'].value = f'{min_balance / 100:.2f}'
        fields['min_installment'].value = f'{min_installment / 100:.2f}'
        fields['max_months'].value = str(max_months)
        fields['down_payment_percent'].value = str(down)
        ui.label('New charges on an account with a plan').classes('font-medium text-slate-900')
        rule_choice = ui.radio(policy_card.RULES, value=rule).mark('new_charges_rule')

        async def save() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            done.classes(add='hidden')
            form = policy_card.PolicyForm(min_balance=fields['min_balance'].value,
                                          min_installment=fields['min_installment'].value,
                                          max_months=fields['max_months'].value,
                                          down_payment_percent=fields['down_payment_percent'].value,
                                          new_charges_rule=rule_choice.value or '')
            try:
                policy = await write(policy_card.update, actor=session.actor(), form=form)
            except DomainError as problem:
                forms.show_errors(fields, problem.field_errors)
                forms.set_error(error, problem.message)
                return
            done.text = f'Saved. Terms version {policy.terms_version}.'
            done.classes(remove='hidden')

        ui.button('Save policy', on_click=save).props('unelevated no-caps').mark('save-policy')


def _queue(title: str, rows: list[QueueRow], mark: str, empty: str) -> None:
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label(title).classes(theme.H2).props('role=heading aria-level=2')
        if not rows:
            ui.label(empty).classes('text-slate-700').mark(f'{mark}-empty')
            return
        table = ui.table(columns=COLUMNS, rows=[
            {'id': row.plan_id, 'account_id': row.account_id, 'account': row.account_number, 'name': row.guarantor_name,
             'remaining': forms.money(row.remaining), 'next_due': row.next_due.isoformat() if row.next_due else '',
             'autopay': 'Yes' if row.autopay else 'No', 'attempts': row.failed_attempts,
             'last_attempt': row.last_attempt.isoformat() if row.last_attempt else ''} for row in rows],
            row_key='id', pagination={'rowsPerPage': 10}).props('flat dense wrap-cells').classes('w-full').mark(mark)
        table.add_slot('body-cell-account', '<q-td :props="props"><a class="text-teal-800 underline" '
                       ':href="\'/staff/accounts/\' + props.row.account_id">{{ props.value }}</a></q-td>')
