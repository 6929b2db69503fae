"""/staff/admin/schedule (admins only): providers, locations with their time zones, visit types, weekly
hours (local wall-clock times in the location's zone) and one-day exceptions; the holidays the practice
closes for (from its state, a practice setting). Each list has an "Add" form; rows can be stopped and
offered again (providers, locations, visit types) or removed (hours, exceptions)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

from nicegui import ui

from components import forms, page, session, theme
from components.calls import write
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.services.appointments import setup
from portal.services.appointments.choices import ZONE_WORDS
from portal.services.appointments.setup import KIND_LABELS, WEEKDAYS, Row, ScheduleSetup


def register() -> None:
    @ui.page('/staff/admin/schedule', response_timeout=60)
    async def admin_schedule_page() -> None:
        await page.show('Schedule set-up', path='/staff/admin/schedule', draw=_draw,
                        load=lambda actor: write(setup.setup, actor=actor))


def _draw(view: ScheduleSetup) -> None:
    ui.label('Schedule set-up').classes(theme.H1).props('role=heading aria-level=1')
    ui.label('Hours are local wall-clock times at each location, so 9:00–17:00 stays 9:00–17:00 when the '
             'clocks change.').classes('text-slate-700')
    providers = {row.id: row.label for row in view.providers}
    locations = {row.id: row.label for row in view.locations}
    _section('Providers', 'providers', view.providers, toggle='provider', add=_provider_form)
    _section('Locations', 'locations', view.locations, toggle='location', add=_location_form)
    _section('Visit types', 'visit-types', view.visit_types, toggle='visit_type', add=_visit_type_form)
    _weekly_hours(view.hours, add=lambda: _hours_form(providers, locations))
    _section('Exceptions (time off, extra hours, closed days)', 'exceptions', view.exceptions,
             remove=lambda row_id: write(setup.remove_exception, actor=session.actor(), exception_id=row_id),
             add=lambda: _exception_form(providers, locations))
    with ui.column().classes(theme.CARD + ' gap-1').mark('holidays'):
        state = view.holiday_state or 'none set: US federal holidays only'
        ui.label(f'Holidays the practice closes for (state: {state})').classes(theme.H2) \
            .props('role=heading aria-level=2')
        ui.label('The state is a practice setting. Extra hours on a holiday open it for that provider.') \
            .classes(theme.MUTED)
        ui.html('<ul>' + ''.join(f'<li>{escape(row.label)}: {escape(row.detail)}</li>' for row in view.holidays)
                + '</ul>', sanitize=False).classes('w-full text-slate-800')


def _section(title: str, mark: str, rows: list[Row], *, add: Callable[[], None], toggle: str = '',
             remove: Callable | None = None) -> None:
    with ui.column().classes(theme.CARD + ' gap-2').mark(mark):
        ui.label(title).classes(theme.H2).props('role=heading aria-level=2')
        if not rows:
            ui.label('None yet.').classes('text-slate-700')
        for row in rows:
            with ui.row().classes('w-full items-center gap-2 no-wrap border-t border-slate-200 pt-2'):
                ui.html(f'<p class="text-slate-900 font-medium">{escape(row.label)}'
                        f'{"" if row.active else " (not offered)"}</p>'
                        f'<p class="text-slate-700 text-sm">{escape(row.detail)}</p>', sanitize=False) \
                    .classes('grow min-w-0')
                if toggle:
                    ui.button('Stop offering' if row.active else 'Offer again',
                              on_click=lambda _, r=row: _run(lambda: write(
                                  setup.set_active, actor=session.actor(), kind=toggle, row_id=r.id,
                                  active=not r.active))).props('outline no-caps').mark(f'{mark}-toggle-{row.id}')
                if remove is not None:
                    ui.button('Remove', on_click=lambda _, r=row: _run(lambda: remove(r.id))) \
                        .props('outline no-caps color=negative').mark(f'{mark}-remove-{row.id}')
        with ui.expansion(f'Add to {title.split(" (")[0].lower()}').classes('w-full').mark(f'{mark}-add'):
            add()


def _weekly_hours(rows: list[Row], *, add: Callable[[], None]) -> None:
    """One folded line per provider (their days and places inside), so sixty rows do not fill the page."""
    by_provider: dict[str, list[Row]] = {}
    for row in rows:
        by_provider.setdefault(row.label, []).append(row)
    with ui.column().classes(theme.CARD + ' gap-2').mark('hours'):
        ui.label('Weekly hours').classes(theme.H2).props('role=heading aria-level=2')
        if not rows:
            ui.label('None yet.').classes('text-slate-700')
        for provider, items in by_provider.items():
            days = ', '.join(dict.fromkeys(item.detail.split(' ')[0][:3] for item in items))
            with ui.expansion(f'{provider} · {days}').classes('w-full border-t border-slate-200'):
                for item in items:
                    with ui.row().classes('w-full items-center gap-2'):
                        ui.label(item.detail).classes('grow text-slate-800')
                        ui.button('Remove', on_click=lambda _, r=item: _run(lambda: write(
                            setup.remove_hours, actor=session.actor(), hours_id=r.id))) \
                            .props('outline dense no-caps color=negative').mark(f'hours-remove-{item.id}')
        with ui.expansion('Add to weekly hours').classes('w-full').mark('hours-add'):
            add()


async def _run(action: Callable) -> None:
    try:
        await action()
    except DomainError as failure:
        ui.notify(failure.message, type='negative')
        return
    ui.navigate.reload()


def _save(fields: dict, submit: Callable, *, mark: str) -> None:
    error = forms.error_message()

    async def save() -> None:
        forms.set_error(error, '')
        forms.clear_errors(fields)
        try:
            await submit()
        except DomainError as failure:
            forms.show_errors(fields, failure.field_errors)
            forms.set_error(error, failure.message)
            return
        ui.navigate.reload()

    guarded = OneAtATime(save)
    guarded.disables(ui.button('Add', on_click=guarded).props('unelevated no-caps').mark(f'{mark}-save'))


def _input(label: str, mark: str, **props: str) -> ui.input:
    return ui.input(label).props('outlined hide-bottom-space ' + ' '.join(f'{k}={v}' for k, v in props.items())) \
        .classes('w-full').mark(mark)


def _provider_form() -> None:
    fields = {'npi': _input('NPI (10 digits)', 'npi', inputmode='numeric'),
              'first_name': _input('First name', 'first_name'), 'last_name': _input('Last name', 'last_name'),
              'credentials': _input('Credentials (MD, DO, NP...)', 'credentials'),
              'specialty': _input('Specialty', 'specialty')}
    _save(fields, lambda: write(setup.add_provider, actor=session.actor(),
                                **{name: field.value or '' for name, field in fields.items()}), mark='providers')


def _location_form() -> None:
    fields = {'name': _input('Name', 'name'), 'address_line1': _input('Street address', 'address_line1'),
              'city': _input('City', 'city'), 'state': _input('State (IL)', 'state', maxlength='2'),
              'postal_code': _input('ZIP code', 'postal_code'), 'phone': _input('Phone', 'phone')}
    zone = ui.select({name: f'{words} ({name})' for name, words in ZONE_WORDS.items()}, value='America/Chicago',
                     label='Time zone').props('outlined').classes('w-full').mark('timezone')
    _save(fields | {'timezone': zone}, lambda: write(
        setup.add_location, actor=session.actor(), timezone=zone.value or '',
        **{name: field.value or '' for name, field in fields.items()}), mark='locations')


def _visit_type_form() -> None:
    fields = {'name': _input('Name in plain words', 'name'),
              'duration': ui.number('Minutes', value=30, min=5, max=480, step=5).props('outlined').classes('w-full')
              .mark('duration'),
              'price': _input('Self-pay price ($)', 'price', inputmode='decimal'),
              'codes': _input('CPT/HCPCS codes (comma-separated)', 'codes')}
    bookable = ui.checkbox('Patients may book it themselves', value=True).mark('bookable')
    new = ui.checkbox('For new patients (staff book it)', value=False).mark('new-patients')
    _save(fields, lambda: write(setup.add_visit_type, actor=session.actor(), name=fields['name'].value or '',
                                duration_minutes=int(fields['duration'].value or 0), price=fields['price'].value or '',
                                codes=fields['codes'].value or '', patient_bookable=bookable.value,
                                new_patients=new.value), mark='visit-types')


def _hours_form(providers: dict[int, str], locations: dict[int, str]) -> None:
    provider = ui.select(providers, label='Provider').props('outlined').classes('w-full').mark('hours-provider')
    location = ui.select(locations, label='Location').props('outlined').classes('w-full').mark('hours-location')
    weekday = ui.select(dict(enumerate(WEEKDAYS)), value=0, label='Day').props('outlined').classes('w-full') \
        .mark('weekday')
    start = _input('From (local time, 09:00)', 'start', type='time')
    end = _input('To (local time, 17:00)', 'end', type='time')
    step = ui.select({5: '5', 10: '10', 15: '15', 20: '20', 30: '30', 60: '60'}, value=15,
                     label='Offer a start time every ... minutes').props('outlined').classes('w-full').mark('step')
    _save({'start': start, 'end': end}, lambda: write(
        setup.add_hours, actor=session.actor(), provider_id=provider.value or 0, location_id=location.value or 0,
        weekday=weekday.value, start=start.value or '', end=end.value or '', slot_minutes=step.value), mark='hours')


def _exception_form(providers: dict[int, str], locations: dict[int, str]) -> None:
    kind = ui.select({str(key): label for key, label in KIND_LABELS.items()}, value='time_off', label='Kind') \
        .props('outlined').classes('w-full').mark('kind')
    day = _input('Day', 'exception-day', type='date')
    provider = ui.select({0: 'Every provider'} | providers, value=0, label='Provider').props('outlined') \
        .classes('w-full').mark('exception-provider')
    location = ui.select({0: 'Every location'} | locations, value=0, label='Location').props('outlined') \
        .classes('w-full').mark('exception-location')
    start = _input('From (empty for the whole day)', 'exception-start', type='time')
    end = _input('To', 'exception-end', type='time')
    note = _input('Note (shown to patients who pick the day)', 'note')

    async def submit() -> None:
        try:
            chosen = date.fromisoformat(day.value or '')
        except ValueError:
            raise DomainError('Choose the day.', field_errors={'day': 'Choose the day.'}) from None
        await write(setup.add_exception, actor=session.actor(), kind=kind.value, day=chosen,
                    provider_id=provider.value or None, location_id=location.value or None, start=start.value or '',
                    end=end.value or '', note=note.value or '')

    _save({'day': day, 'start': start, 'end': end, 'note': note}, submit, mark='exceptions')
