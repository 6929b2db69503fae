"""The account desk's dialogs: a staff note, a flag or hold (reason, optional expiry), an adjustment or
write-off with its reason code (over the limit: the approval queue, or the single admin's second
confirmation), and corrections (void or re-point a charge, reverse a write-off)."""
from __future__ import annotations

from datetime import date

from nicegui import ui

from components import dialogs, forms, theme
from components.calls import write
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.models import FlagKind
from portal.models.ledger import LedgerKind
from portal.services import account_flags
from portal.services.desk import adjustments, corrections, notes
from portal.services.desk.account import DeskAccount
from portal.services.desk.search import parse_day_ahead

WARNING = 'w-full text-amber-900 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2 gap-2'


async def _attempt(error: ui.label, fields: dict, action) -> bool:  # noqa: ANN001
    """Run a write; show its refusal in the dialog. True when it went through."""
    forms.set_error(error, '')
    forms.clear_errors(fields)
    try:
        await action()
    except DomainError as failure:
        forms.show_errors(fields, failure.field_errors)
        forms.set_error(error, failure.message)
        return False
    return True


def _done(dialog: ui.dialog, message: str) -> None:
    dialog.close()
    ui.notify(message)
    ui.navigate.reload()


def note_dialog(actor, account_id: int) -> None:  # noqa: ANN001
    with dialogs.dialog('Add a note') as dialog:
        ui.label('Staff only: the patient never sees notes. No health details.').classes(theme.MUTED)
        error = forms.error_message()
        body = ui.textarea('Note').props(f'outlined maxlength={notes.NOTE_MAX} autogrow').classes('w-full') \
            .mark('note-body')

        @OneAtATime
        async def submit() -> None:
            if await _attempt(error, {'body': body}, lambda: write(notes.add_note, actor=actor, account_id=account_id,
                                                                   body=body.value or '')):
                _done(dialog, 'Note added.')

        submit.disables(dialogs.actions(dialog, 'Add note', submit))
    dialog.open()


def flag_dialog(actor, account_id: int) -> None:  # noqa: ANN001
    with dialogs.dialog('Flag or hold the account') as dialog:
        error = forms.error_message()
        kind = ui.select({str(k): k.label for k in notes.STAFF_FLAGS}, label='What', value=None) \
            .props('outlined').classes('w-full').mark('flag-kind')
        reason = forms.field('Reason (no health details)', max_length=notes.REASON_MAX, mark='flag-reason')
        until = forms.field('Until (optional, MM/DD/YYYY)', max_length=10, mark='flag-until')

        @OneAtATime
        async def submit() -> None:
            expires: date | None = None
            if (until.value or '').strip():
                expires = parse_day_ahead(until.value)  # the date formats search reads
                if expires is None:
                    until.error = 'Write the day as 03/15/2027.'
                    return
            if await _attempt(error, {'kind': kind, 'reason': reason, 'expires_on': until},
                              lambda: write(notes.raise_flag, actor=actor, account_id=account_id,
                                            kind=kind.value or '', reason=reason.value or '', expires_on=expires)):
                _done(dialog, 'Flag added.')

        submit.disables(dialogs.actions(dialog, 'Add flag', submit))
    dialog.open()


async def clear_flag(actor, account_id: int, kind: str, reason: str) -> None:  # noqa: ANN001
    await write(account_flags.resolve_flags, actor=actor, account_id=account_id, kind=FlagKind(kind), reason=reason)
    ui.notify('Flag cleared.')
    ui.navigate.reload()


def adjust_dialog(actor, account_id: int, balance: int, currency: str) -> None:  # noqa: ANN001
    with dialogs.dialog('Adjust or write off') as dialog:
        ui.label(f'Open balance: {forms.money(balance, currency)}. An adjustment lowers what the patient owes.') \
            .classes('text-slate-800')
        error = forms.error_message()
        amount = forms.field('Amount', max_length=20, mark='adjust-amount').props('prefix=$ inputmode=decimal')
        reason = ui.select(adjustments.REASONS, label='Reason', value=None).props('outlined').classes('w-full') \
            .mark('adjust-reason')
        note = forms.field('Note (optional, no health details)', max_length=200, mark='adjust-note')
        with ui.column().classes(WARNING + ' hidden').props('role=alert') as second:
            second_text = ui.label().mark('adjust-second-text')
            why = forms.field('Why you approve your own adjustment', max_length=200, mark='adjust-self-reason')
            confirm = ui.button('Post my own adjustment', on_click=lambda: submit(confirmed=True)) \
                .props('unelevated no-caps color=warning').mark('adjust-confirm')

        fields = {'amount': amount, 'reason': reason, 'self_reason': why}

        @OneAtATime
        async def submit(confirmed: bool = False) -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            try:
                result = await write(adjustments.request_adjustment, actor=actor, account_id=account_id,
                                     amount_text=amount.value or '', reason=reason.value or '', note=note.value or '',
                                     self_approval_reason=(why.value or '') if confirmed else None)
            except adjustments.NeedsSecondConfirmation as asked:  # the only admin, over the limit: confirm again
                second_text.text = asked.message
                second.classes(remove='hidden')
                if confirmed:
                    why.error = 'Type why you approve your own adjustment.'
                return
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.message)
                return
            _done(dialog, result.message)

        submit.disables(dialogs.actions(dialog, 'Post adjustment', submit), confirm)
    dialog.open()


def correct_dialog(actor, view: DeskAccount) -> None:  # noqa: ANN001
    money = lambda minor: forms.money(minor, view.money.currency)  # noqa: E731
    lines = {line.id: line for line in reversed(view.ledger)
             if line.kind_value in (LedgerKind.charge, LedgerKind.write_off) and not line.corrected}
    with dialogs.dialog('Correct a line', width='max-w-xl') as dialog:
        if not lines:
            ui.label('No charge or write-off here can be corrected.').classes('text-slate-800')
            with ui.row().classes('w-full justify-end'):
                ui.button('Close', on_click=dialog.close).props('flat no-caps')
            dialog.open()
            return
        ui.label('Corrections never change a line: they post a new one that points at it.').classes('text-sm')
        error = forms.error_message()
        line = ui.select({i: f'{forms.short_date(x.posted_on)} · {x.kind} · {x.what} · {money(x.amount)}'
                          for i, x in lines.items()}, label='Line', value=None) \
            .props('outlined').classes('w-full').mark('correct-line')
        action = ui.radio({'void': 'Void it', 'repoint': 'Post it again with the right code, patient or amount'},
                          value='void').mark('correct-action')
        with ui.column().classes('w-full gap-2') as repoint:
            code = forms.field('CPT/HCPCS code', max_length=10, mark='correct-code')
            patient = ui.select({p.id: p.name for p in view.patients}, label='Patient',
                                value=view.patients[0].id if view.patients else None) \
                .props('outlined').classes('w-full').mark('correct-patient')
            amount = forms.field('Amount', max_length=20, mark='correct-amount').props('prefix=$ inputmode=decimal')
        whole = ui.label('An adjustment is posted as one line per charge: reversing this line reverses all of '
                         'them.').classes('text-sm text-slate-800').mark('correct-whole-adjustment')
        reason = forms.field('What was wrong (no health details)', max_length=200, mark='correct-reason')

        def shown() -> None:
            chosen = lines.get(line.value)
            is_charge = chosen is not None and chosen.kind_value == LedgerKind.charge
            whole.set_visibility(chosen is not None and chosen.kind_value == LedgerKind.write_off)
            action.set_visibility(is_charge)
            repoint.set_visibility(is_charge and action.value == 'repoint')
            if chosen is not None and is_charge and not code.value:
                code.value = chosen.code
        line.on_value_change(shown)
        action.on_value_change(shown)
        shown()

        @OneAtATime
        async def submit() -> None:
            chosen = lines.get(line.value)
            if chosen is None:
                forms.set_error(error, 'Choose the line to correct.')
                return
            if chosen.kind_value == LedgerKind.write_off:
                call = lambda: write(corrections.reverse_write_off, actor=actor, entry_id=chosen.id,  # noqa: E731
                                     reason=reason.value or '')
            elif action.value == 'void':
                call = lambda: write(corrections.void_charge, actor=actor, entry_id=chosen.id,  # noqa: E731
                                     reason=reason.value or '')
            else:
                call = lambda: write(corrections.repoint_charge, actor=actor, entry_id=chosen.id,  # noqa: E731
                                     reason=reason.value or '', code=code.value or '',
                                     patient_id=int(patient.value or 0), amount_text=amount.value or '')
            if await _attempt(error, {'reason': reason, 'code': code, 'amount': amount, 'patient': patient}, call):
                _done(dialog, 'Correction posted.')

        submit.disables(dialogs.actions(dialog, 'Post correction', submit))
    dialog.open()
