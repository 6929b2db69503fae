"""/staff/insurance: the coverage verification queue, oldest first. Each item: verify, correct (the
patient sees what changed), enter the benefits snapshot, or ask the patient in a message thread."""
from __future__ import annotations

import re
from datetime import date

from nicegui import ui

from components import chips, dialogs, forms, page, session, theme
from components.calls import read, write
from components.coverage_form import CoverageInputs
from components.guards import OneAtATime
from portal.clock import practice_day
from portal.errors import DomainError
from portal.money import AmountError, amount_text, parse_amount
from portal.services import coverage, coverage_queue
from portal.services.coverage import Benefits
from portal.services.coverage_queue import QueueItem
from portal.services.practice import cached_zone

ZERO = re.compile(r'\$?\s*0+(\.0{1,2})?')
BENEFIT_FIELDS = (('copay', 'Copay per visit'), ('deductible_met', 'Deductible met'),
                  ('deductible_remaining', 'Deductible remaining'), ('out_of_pocket_met', 'Out-of-pocket met'),
                  ('out_of_pocket_remaining', 'Out-of-pocket remaining'))


def register() -> None:
    @ui.page('/staff/insurance', response_timeout=60)
    async def staff_insurance() -> None:
        async def load(actor) -> tuple[tuple[QueueItem, ...], dict[int, str]]:  # noqa: ANN001
            return await read(coverage_queue.queue, actor=actor), await read(coverage.payers)

        await page.show('Insurance queue', path='/staff/insurance', load=load, draw=_content)


def _content(loaded: tuple[tuple[QueueItem, ...], dict[int, str]]) -> None:
    payers = loaded[1]

    @ui.refreshable
    def body(items: tuple[QueueItem, ...]) -> None:
        ui.label('Insurance verification').classes(theme.H1).props('role=heading aria-level=1')
        ui.label('New and changed coverage, oldest first. Check each with the payer, then verify or correct it.') \
            .classes('text-slate-700')
        if not items:
            ui.label('Nothing waiting: every coverage is verified.').classes('text-slate-700').mark('queue-empty')
        for item in items:
            _item(item, payers, reload)

    async def reload() -> None:
        body.refresh(await read(coverage_queue.queue, actor=session.actor()))

    body(loaded[0])


def _item(item: QueueItem, payers: dict[int, str], reload) -> None:  # noqa: ANN001
    shown = item.coverage
    with ui.column().classes(theme.CARD + ' gap-2').mark(f'queue-{shown.id}'):
        with ui.row().classes('w-full items-center gap-2'):
            ui.link(f'{item.patient_name} · account {item.account_number}', f'/staff/accounts/{item.account_id}') \
                .classes(theme.LINK + ' font-semibold')
            ui.html(chips.chip_html('New' if item.is_new else 'Changed', 'info' if item.is_new else 'warn'),
                    sanitize=False)
            ui.label(f'waiting since {forms.date_time(item.waiting_since)}').classes(theme.MUTED)
        summary = (f'{shown.priority_label}: {shown.payer_name}, {shown.plan_name or "no plan"} · member '
                   f'{shown.member_id_masked} · group {shown.group_number or "—"} · subscriber '
                   f'{shown.subscriber_name} ({shown.relationship})')
        text = ui.label(summary).classes('text-slate-800')

        async def reveal() -> None:
            whole = await write(coverage.reveal_member_id, actor=session.actor(), coverage_id=shown.id)
            text.text = summary.replace(shown.member_id_masked, whole)
            button.delete()
        button = ui.button('Show the member id', on_click=reveal).props('flat dense no-caps') \
            .mark(f'reveal-{shown.id}')
        with ui.row().classes('gap-2'):
            for side, stored in (('front', shown.card_front), ('back', shown.card_back)):
                if stored is not None:
                    ui.link(f'Card {side}', stored.url, new_tab=True).classes(theme.LINK)

        async def verify() -> None:
            await write(coverage_queue.verify, actor=session.actor(), coverage_id=shown.id)
            ui.notify('Verified.')
            await reload()
        with ui.row().classes('gap-2 flex-wrap'):
            ui.button('Verify', icon='verified', on_click=OneAtATime(verify)).props('unelevated no-caps') \
                .mark(f'verify-{shown.id}')
            ui.button('Correct', on_click=lambda: _correct(item, payers, reload)).props('outline no-caps') \
                .mark(f'correct-{shown.id}')
            ui.button('Benefits', on_click=lambda: _benefits(item, reload)).props('outline no-caps') \
                .mark(f'benefits-{shown.id}')
            ui.button('Ask the patient', on_click=lambda: _ask(item)).props('flat no-caps').mark(f'ask-{shown.id}')


def _correct(item: QueueItem, payers: dict[int, str], reload) -> None:  # noqa: ANN001
    with dialogs.dialog(f'Correct coverage for {item.patient_name}', width='max-w-lg') as dialog:
        error = forms.error_message()
        inputs = CoverageInputs(payers, item.coverage.form)

        @OneAtATime
        async def save() -> None:
            form = inputs.read()
            if form is None:
                return
            try:
                changed = await write(coverage_queue.correct, actor=session.actor(), coverage_id=item.coverage.id,
                                      form=form)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                inputs.show(failure.field_errors)
                return
            dialog.close()
            ui.notify('Corrected and verified: ' + (', '.join(changed) if changed else 'nothing changed') + '.')
            await reload()
        save.disables(dialogs.actions(dialog, 'Save and verify', save))
    dialog.open()


def _benefits(item: QueueItem, reload) -> None:  # noqa: ANN001
    current = item.coverage.benefits
    with dialogs.dialog(f'Benefits for {item.patient_name}') as dialog:
        error = forms.error_message()
        as_of = ui.input('As of', value=(current.as_of if current else _today()).isoformat()) \
            .props('outlined type=date stack-label').classes('w-full').mark('as-of')
        fields = {}
        for name, label in BENEFIT_FIELDS:
            value = getattr(current, name) if current else None
            fields[name] = ui.input(label, value=amount_text(value) if value is not None else '') \
                .props('outlined prefix=$ inputmode=decimal').classes('w-full').mark(name.replace('_', '-'))

        @OneAtATime
        async def save() -> None:
            amounts: dict[str, int | None] = {}
            for name, element in fields.items():
                element.error = None
                text = (element.value or '').strip()
                try:
                    amounts[name] = None if not text else 0 if ZERO.fullmatch(text) else parse_amount(text)
                except AmountError as failure:
                    element.error = str(failure)
            try:
                day = date.fromisoformat(as_of.value or '')
            except ValueError:
                as_of.error = 'Give a date as on a calendar.'
                return
            if len(amounts) < len(fields):
                return
            try:
                await write(coverage_queue.record_benefits, actor=session.actor(), coverage_id=item.coverage.id,
                            benefits=Benefits(day, **amounts))
            except DomainError as failure:
                forms.set_error(error, failure.message)
                for name, message in failure.field_errors.items():
                    (fields.get(name) or as_of).error = message
                return
            dialog.close()
            ui.notify('Benefits saved: the patient sees them on their insurance page.')
            await reload()
        save.disables(dialogs.actions(dialog, 'Save benefits', save))
    dialog.open()


def _ask(item: QueueItem) -> None:
    with dialogs.dialog(f'Ask {item.patient_name} about their insurance') as dialog:
        error = forms.error_message()
        text = ui.textarea('Your question', value='Could you send us a photo of the front and back of your '
                           'insurance card?').props('outlined maxlength=4000').classes('w-full').mark('question')

        @OneAtATime
        async def send() -> None:
            try:
                thread_id = await write(coverage_queue.ask_patient, actor=session.actor(),
                                        coverage_id=item.coverage.id, body=text.value or '')
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.notify('Sent. The patient gets an email saying there is a new message.')
            ui.navigate.to(f'/staff/messages/{thread_id}')
        send.disables(dialogs.actions(dialog, 'Send', send))
    dialog.open()


def _today() -> date:
    return practice_day(zone=cached_zone())
