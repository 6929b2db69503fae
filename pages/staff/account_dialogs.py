"""The staff account page's dialogs: refund a payment (the account's credit first; more than the credit
only after a second confirmation that names the balance it leaves) and record cash or a check."""
from __future__ import annotations

from nicegui import ui

from components import dialogs, forms
from components.calls import call, write
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.money import amount_text
from portal.services.payments import new_key, staff
from portal.services.refund_reasons import REASONS

OTHER = 'Other'
WARNING = 'w-full text-amber-900 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2 gap-2'


def refund_dialog(actor, detail: staff.StaffAccount) -> None:  # noqa: ANN001
    money = lambda minor: forms.money(minor, detail.currency)  # noqa: E731
    payments = {p.id: p for p in detail.payments if p.refundable > 0}

    def suggested(payment_id: int) -> str:  # the credit, as far as this payment can carry it
        most = min(detail.credit, payments[payment_id].refundable)
        return amount_text(most) if most > 0 else ''

    with dialogs.dialog('Refund a payment') as dialog:
        credit = (f'Account credit: {money(detail.credit)}. A refund up to the credit leaves nothing owing.'
                  if detail.credit else f'No credit on this account (balance {money(detail.balance)}): a refund '
                  'will be owed by the patient again.')
        ui.label(credit).classes('text-slate-800').mark('refund-credit')
        error = forms.error_message()
        first = next(iter(payments))
        payment = ui.select({pid: f'{p.receipt_number} · {money(p.amount)} (up to {money(p.refundable)})'
                             for pid, p in payments.items()}, value=first, label='Payment') \
            .props('outlined').classes('w-full').mark('refund-payment')
        amount = forms.field('Amount to refund', max_length=20, mark='refund-amount') \
            .props('prefix=$ inputmode=decimal')
        amount.value = suggested(first)
        reason = ui.select([*REASONS, OTHER], label='Reason', value=None).props('outlined').classes('w-full') \
            .mark('refund-reason')
        other = forms.field('Reason, as the patient will read it (no health details)', max_length=200,
                            mark='refund-reason-text')
        other.bind_visibility_from(reason, 'value', value=OTHER)
        with ui.column().classes(WARNING + ' hidden').props('role=alert') as warning:
            warning_text = ui.label().mark('refund-warning')
            confirm = ui.button('Refund anyway', on_click=lambda: submit(confirmed=True)) \
                .props('unelevated no-caps color=warning').mark('refund-confirm')
        state: dict = {'key': new_key('refund'), 'balance_after': None}  # one key per dialog: a retry refunds once

        def changed() -> None:  # another payment or amount: what was confirmed no longer stands
            state['balance_after'] = None
            warning.classes(add='hidden')

        payment.on_value_change(lambda: (setattr(amount, 'value', suggested(payment.value)), changed()))
        amount.on_value_change(changed)

        @OneAtATime  # a double click sends one
        async def submit(confirmed: bool = False) -> None:
            forms.set_error(error, '')
            forms.clear_errors({'amount': amount, 'reason': other})
            why = (other.value or '') if reason.value == OTHER else (reason.value or '')
            try:
                message = await call(staff.refund_payment, actor=actor, payment_id=int(payment.value),
                                     amount_text=amount.value or '', reason=why,
                                     idempotency_key=f'{state["key"]}:{payment.value}',
                                     balance_after=state['balance_after'] if confirmed else None)
            except staff.RefundNeedsConfirmation as asked:
                state['balance_after'] = asked.preview.balance_after
                warning_text.text = asked.preview.warning
                confirm.text = f'Refund and leave {money(asked.preview.balance_after)} owing'
                warning.classes(remove='hidden')
                return
            except DomainError as failure:
                forms.show_errors({'amount': amount, 'reason': other if reason.value == OTHER else reason},
                                  failure.field_errors)
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.notify(message)
            ui.navigate.reload()

        submit.disables(dialogs.actions(dialog, 'Refund', submit), confirm)
    dialog.open()


def offline_dialog(actor, account_id: int) -> None:  # noqa: ANN001
    with dialogs.dialog('Record cash or check') as dialog:
        error = forms.error_message()
        method = ui.radio({'cash': 'Cash', 'check': 'Check'}, value='check').props('inline').mark('offline-method')
        amount = forms.field('Amount', max_length=20, mark='offline-amount').props('prefix=$ inputmode=decimal')
        reference = forms.field('Check number or reference', max_length=60, mark='offline-reference')
        key = new_key('offline')  # one dialog, one payment: a retry records it once

        @OneAtATime  # a double click records it once
        async def submit() -> None:
            forms.set_error(error, '')
            try:
                await write(staff.record_offline_payment, actor=actor, account_id=account_id, idempotency_key=key,
                            amount_text=amount.value or '', method=method.value, reference=reference.value or '')
            except DomainError as failure:
                forms.show_errors({'amount': amount, 'reference': reference}, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.notify('Payment recorded.')
            ui.navigate.reload()

        submit.disables(dialogs.actions(dialog, 'Record payment', submit))
    dialog.open()
