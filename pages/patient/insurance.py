"""/insurance: each patient's coverage on the signed-in person's accounts (member id masked until they
reveal it), whether our office has verified it, the benefits snapshot when there is one, card photos
(front and back; phones open the camera), and adding, changing or ending coverage."""
from __future__ import annotations

from datetime import date
from html import escape

from nicegui import events, ui

from components import chips, dialogs, forms, page, session, theme
from components.calls import read, write
from components.coverage_form import CoverageInputs
from components.guards import OneAtATime
from components.uploads import photo_upload
from portal.clock import practice_day
from portal.errors import DomainError
from portal.services import coverage
from portal.services.coverage import AccountCoverage, CoverageView, PatientCoverage
from portal.services.practice import cached_zone

CHECKING = ('We are checking this', 'info')


def register() -> None:
    @ui.page('/insurance', response_timeout=60)
    async def insurance_page() -> None:
        await page.show('Insurance', path='/insurance', draw=_content,
                        load=lambda actor: read(coverage.coverage_page, actor=actor))


def _content(accounts: tuple[AccountCoverage, ...]) -> None:
    @ui.refreshable
    def body(accounts: tuple[AccountCoverage, ...]) -> None:
        ui.label('Insurance').classes(theme.H1).props('role=heading aria-level=1')
        if not accounts:
            ui.label('No billing account is linked to your sign-in yet.').classes('text-slate-700')
            return
        ui.label('Keep this current so we bill the right insurance. Our office checks every change with your '
                 'insurer.').classes('text-slate-700')
        for account in accounts:
            if len(accounts) > 1:
                ui.label(f'Account {account.account_number}').classes(theme.H2)
            for patient in account.patients:
                _patient(account, patient, reload)

    async def reload() -> None:
        body.refresh(await read(coverage.coverage_page, actor=session.actor()))

    body(accounts)


def _patient(account: AccountCoverage, patient: PatientCoverage, reload) -> None:  # noqa: ANN001
    with ui.column().classes('w-full gap-3').props(f'aria-label="Insurance for {escape(patient.name)}"'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(patient.name).classes(theme.H2).props('role=heading aria-level=2')
            ui.button('Add insurance', icon='add', on_click=lambda: _edit(account, patient, None, reload)) \
                .props('outline no-caps').mark(f'add-{patient.patient_id}')
        if not patient.coverages:
            ui.label('No insurance on file. Add it so we can bill your insurer.').classes('text-slate-700')
        for item in patient.coverages:
            _coverage(account, patient, item, reload)


def _status(item: CoverageView) -> tuple[str, str]:
    if item.effective_to is not None and item.effective_to < _today():
        return f'Ended {forms.short_date(item.effective_to)}', 'neutral'
    if item.verified_on is None:
        return CHECKING
    return f'Verified by our office on {forms.short_date(item.verified_on)}', 'good'


def _coverage(account: AccountCoverage, patient: PatientCoverage, item: CoverageView, reload) -> None:  # noqa: ANN001
    with ui.column().classes(theme.CARD + ' gap-2').mark(f'coverage-{item.id}'):
        with ui.row().classes('w-full items-center gap-2'):
            ui.label(f'{item.priority_label}: {item.payer_name}').classes('text-base font-semibold text-slate-900')
            ui.html(chips.chip_html(*_status(item), test_id='coverage-status'), sanitize=False)
        if item.corrected_fields:
            ui.label('Our office corrected: ' + ', '.join(item.corrected_fields) + '.') \
                .classes('text-sm text-amber-900').mark('corrected')
        rows = [('Plan', item.plan_name or '—'), ('Group number', item.group_number or '—'),
                ('Subscriber', f'{item.subscriber_name} ({item.relationship})'),
                ('Dates', _dates(item))]
        with ui.element('dl').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-slate-800'):
            with ui.element('dt').classes('text-slate-600'):
                ui.label('Member id')
            with ui.element('dd').classes('flex items-center gap-2 flex-wrap'):
                member = ui.label(item.member_id_masked).classes('font-mono').mark('member-id')

                async def reveal(coverage_id: int = item.id) -> None:
                    member.text = await write(coverage.reveal_member_id, actor=session.actor(),
                                              coverage_id=coverage_id)
                    shown.delete()
                shown = ui.button('Show', on_click=reveal).props('flat dense no-caps') \
                    .props('aria-label="Show the whole member id"').mark(f'reveal-{item.id}')
            for label, value in rows:
                ui.html(f'<dt class="text-slate-600">{escape(label)}</dt><dd>{escape(value)}</dd>', sanitize=False) \
                    .classes('contents')
        if item.benefits is not None:
            _benefits(item)
        _cards(item, reload)
        with ui.row().classes('gap-2'):
            ui.button('Change', icon='edit', on_click=lambda: _edit(account, patient, item, reload)) \
                .props('outline no-caps').mark(f'change-{item.id}')
            if item.effective_to is None or item.effective_to >= _today():
                ui.button('End this coverage', on_click=lambda: _end(item, reload)).props('flat no-caps') \
                    .mark(f'end-{item.id}')


def _dates(item: CoverageView) -> str:
    start = forms.short_date(item.effective_from) if item.effective_from else 'not given'
    return f'From {start}' + (f' to {forms.short_date(item.effective_to)}' if item.effective_to else '')


def _benefits(item: CoverageView) -> None:
    b = item.benefits
    assert b is not None
    money = lambda value: forms.money(value) if value is not None else '—'  # noqa: E731
    with ui.column().classes('w-full gap-1 rounded-lg bg-slate-50 p-3').mark('benefits'):
        ui.label(f'Your benefits as of {forms.short_date(b.as_of)}').classes('font-semibold text-slate-900')
        ui.html('<dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-slate-800">' + ''.join(
            f'<dt class="text-slate-600">{label}</dt><dd>{value}</dd>' for label, value in (
                ('Copay per visit', money(b.copay)),
                ('Deductible', f'{money(b.deductible_met)} met, {money(b.deductible_remaining)} to go'),
                ('Out-of-pocket maximum', f'{money(b.out_of_pocket_met)} met, '
                                          f'{money(b.out_of_pocket_remaining)} to go'))) + '</dl>', sanitize=False)


def _cards(item: CoverageView, reload) -> None:  # noqa: ANN001
    with ui.row().classes('w-full gap-3 flex-wrap'):
        for side, stored in (('front', item.card_front), ('back', item.card_back)):
            with ui.column().classes('gap-1 w-full sm:w-64'):
                ui.label(f'Card {side}').classes('text-sm font-semibold text-slate-700')
                if stored is not None:
                    ui.image(stored.url).props(f'alt="Photo of the {side} of your insurance card" fit=contain') \
                        .classes('w-full h-32 rounded border border-slate-200 bg-white').mark(f'card-{side}')

                async def received(event: events.UploadEventArguments, side: str = side) -> None:
                    try:
                        await write(coverage.attach_card, actor=session.actor(), coverage_id=item.id, side=side,
                                    name=event.file.name, data=await event.file.read())
                    except DomainError as failure:
                        ui.notify(failure.message, type='negative', multi_line=True)
                        event.sender.reset()
                        return
                    ui.notify(f'Saved the {side} of the card.')
                    await reload()
                label = f'{"Replace" if stored else "Add"} a photo of the {side}'
                photo_upload(label, on_upload=received, mark=f'upload-{side}-{item.id}')


def _edit(account: AccountCoverage, patient: PatientCoverage, item: CoverageView | None, reload) -> None:  # noqa: ANN001
    title = f'{"Change" if item else "Add"} insurance for {patient.name}'
    with dialogs.dialog(title, width='max-w-lg') as dialog:
        error = forms.error_message()
        inputs = CoverageInputs(account.payers, item.form if item else None)

        @OneAtATime
        async def save() -> None:
            form = inputs.read()
            if form is None:
                return
            try:
                await write(coverage.save_coverage, actor=session.actor(), patient_id=patient.patient_id, form=form,
                            coverage_id=item.id if item else None)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                inputs.show(failure.field_errors)
                return
            dialog.close()
            ui.notify('Saved. Our office will check it with your insurer.')
            await reload()
        save.disables(dialogs.actions(dialog, 'Save', save))
    dialog.open()


def _end(item: CoverageView, reload) -> None:  # noqa: ANN001
    with dialogs.dialog(f'End {item.payer_name} coverage') as dialog:
        ui.label('The last day this insurance covers you:').classes('text-slate-700')
        last_day = ui.input('Last day', value=_today().isoformat()).props('outlined type=date stack-label') \
            .classes('w-full').mark('end-date')

        @OneAtATime
        async def end() -> None:
            try:
                chosen = date.fromisoformat(last_day.value or '')
            except ValueError:
                last_day.error = 'Give a date as on a calendar.'
                return
            try:
                await write(coverage.end_coverage, actor=session.actor(), coverage_id=item.id, end=chosen)
            except DomainError as failure:
                last_day.error = failure.message
                return
            dialog.close()
            ui.notify('Saved. Our office will see the change.')
            await reload()
        end.disables(dialogs.actions(dialog, 'End coverage', end, danger=True))
    dialog.open()


def _today() -> date:
    return practice_day(zone=cached_zone())
