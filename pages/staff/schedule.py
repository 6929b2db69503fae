"""/staff/schedule: a day or a week of visits per provider and location (times in each location's zone,
labelled), with check-in, no-show, move and cancel on each visit, the queue of patients' change requests,
and booking for a patient found by name or date of birth (/staff/schedule/book?patient=ID, or
?reschedule=ID to move a visit; the patient is emailed when staff move or cancel)."""
from __future__ import annotations

from datetime import date, timedelta
from html import escape

from nicegui import ui

from components import chips, forms, page, session, theme, visit_dialogs
from components.calls import write
from components.slot_picker import Picked, SlotPicker
from portal.clock import utcnow
from portal.errors import DomainError
from portal.services.appointments import booking, choices, staff
from portal.services.appointments.choices import BookingForm
from portal.services.appointments.staff import StaffSchedule
from portal.services.appointments.visits import VisitView

STATUS = {'booked': ('Booked', 'info'), 'checked_in': ('Checked in', 'good'), 'completed': ('Completed', 'neutral'),
          'cancelled': ('Cancelled', 'bad'), 'no_show': ('Missed', 'warn')}


def register() -> None:
    @ui.page('/staff/schedule', response_timeout=60)
    async def schedule_page(day: str = '', view: str = 'day', provider: str = '', location: str = '') -> None:
        first = _day(day)
        await page.show('Schedule', path='/staff/schedule', draw=_schedule,
                        load=lambda actor: write(staff.schedule, actor=actor, first_day=first, week=view == 'week',
                                                 provider_id=page.optional_id(provider),
                                                 location_id=page.optional_id(location)))

    @ui.page('/staff/schedule/book', response_timeout=60)
    async def staff_book_page(patient: str = '', reschedule: str = '') -> None:
        patient_id = page.optional_id(patient)
        await page.show('Book a visit', path='/staff/schedule', draw=_book,
                        load=lambda actor: write(choices.booking_form, actor=actor,
                                                 reschedule_id=page.optional_id(reschedule),
                                                 patient_ids=[patient_id] if patient_id else []))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return forms.local(utcnow()).date()


def _schedule(view: StaffSchedule) -> None:
    params = dict(ui.context.client.request.query_params) if ui.context.client.request else {}
    week = params.get('view') == 'week'

    def go(**changes: object) -> None:
        wanted = {**params, **{key: str(value) for key, value in changes.items() if value is not None}}
        query = '&'.join(f'{key}={value}' for key, value in wanted.items() if value not in ('', '0'))
        ui.navigate.to(f'/staff/schedule?{query}')

    ui.label('Schedule').classes(theme.H1).props('role=heading aria-level=1')
    with ui.row().classes('w-full items-end gap-3'):
        ui.input('Day', value=view.first_day.isoformat(),
                 on_change=lambda event: go(day=event.value) if _valid(event.value) else None) \
            .props('outlined type=date').mark('day')
        step = 7 if week else 1
        ui.button(icon='chevron_left', on_click=lambda: go(day=(view.first_day - timedelta(days=step)).isoformat())) \
            .props('flat round aria-label="Earlier"').mark('earlier')
        ui.button(icon='chevron_right', on_click=lambda: go(day=(view.first_day + timedelta(days=step)).isoformat())) \
            .props('flat round aria-label="Later"').mark('later')
        ui.toggle({'day': 'Day', 'week': 'Week'}, value='week' if week else 'day',
                  on_change=lambda event: go(view=event.value)).props('no-caps').mark('span')
        ui.select({0: 'All providers'} | {choice.id: choice.label for choice in view.providers},
                  value=int(params.get('provider') or 0), label='Provider',
                  on_change=lambda event: go(provider=event.value)).props('outlined').classes('min-w-[14rem]') \
            .mark('provider')
        ui.select({0: 'All locations'} | {choice.id: choice.label for choice in view.locations},
                  value=int(params.get('location') or 0), label='Location',
                  on_change=lambda event: go(location=event.value)).props('outlined').classes('min-w-[12rem]') \
            .mark('location')
    _find_patient()
    _requests(view)
    for day in view.days:
        with ui.column().classes(theme.CARD + ' gap-2').mark(f'day-{day.day.isoformat()}'):
            ui.label(f'{day.day:%A} {forms.short_date(day.day)}').classes(theme.H2) \
                .props('role=heading aria-level=2')
            if not day.visits:
                ui.label('No visits.').classes('text-slate-700')
            for item in day.visits:
                _visit_row(item)


def _valid(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except (TypeError, ValueError):
        return False
    return True


def _visit_row(item: VisitView) -> None:
    with ui.row().classes('w-full items-center gap-3 border-t border-slate-200 pt-2').mark(f'visit-{item.id}'):
        ui.html(f'<div class="min-w-[16rem]"><p class="font-semibold text-slate-900">{escape(item.when)} '
                f'{chips.status_html(item.status, STATUS)}</p><p class="text-slate-800">{escape(item.patient_name)}'
                f' · {escape(item.visit_type)} · {item.duration_minutes} min</p><p class="text-slate-700 text-sm">'
                f'{escape(item.provider_name)} · {escape(item.location_name)}</p></div>', sanitize=False) \
            .classes('grow')
        if item.status == 'booked' and item.starts_at - utcnow() <= timedelta(hours=12):
            ui.button('Check in', on_click=lambda: _act(staff.check_in, item.id)).props('outline no-caps') \
                .mark(f'check-in-{item.id}')
        if item.status == 'booked' and item.starts_at <= utcnow():
            ui.button('No-show', on_click=lambda: _act(staff.no_show, item.id)).props('outline no-caps') \
                .mark(f'no-show-{item.id}')
        if item.status == 'booked':
            ui.button('Move', on_click=lambda: ui.navigate.to(f'/staff/schedule/book?reschedule={item.id}')) \
                .props('outline no-caps').mark(f'move-{item.id}')
            ui.button('Cancel', on_click=lambda: visit_dialogs.cancel(
                item, note='The patient is emailed.', then=ui.navigate.reload)) \
                .props('outline no-caps color=negative').mark(f'cancel-{item.id}')


async def _act(action, appointment_id: int) -> None:  # noqa: ANN001
    try:
        await write(action, actor=session.actor(), appointment_id=appointment_id)
    except DomainError as failure:
        ui.notify(failure.message, type='negative')
        return
    ui.navigate.reload()


def _find_patient() -> None:
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Book for a patient').classes(theme.H2).props('role=heading aria-level=2')
        with ui.row().classes('w-full items-center gap-2'):
            text = ui.input('Last name (or "last, first") or date of birth').props('outlined') \
                .classes('grow').mark('find-patient')
            ui.button('Find', on_click=lambda: search()).props('unelevated no-caps').mark('find')
        results = ui.column().classes('w-full gap-1')

        async def search() -> None:
            results.clear()
            try:
                found = await write(choices.find_patients, actor=session.actor(), text=text.value or '')
            except DomainError as failure:
                with results:
                    ui.label(failure.message).classes('text-red-800').props('role=alert')
                return
            with results:
                if not found:
                    ui.label('No patient found.').classes('text-slate-700').mark('no-patient')
                for match in found:
                    ui.link(f'{match.name} · born {forms.short_date(match.date_of_birth)}',
                            f'/staff/schedule/book?patient={match.id}').classes(theme.LINK + ' py-1') \
                        .mark(f'patient-{match.id}')
        text.on('keydown.enter', search)


async def _book(form: BookingForm) -> None:
    moving = form.moving
    ui.html(f'<p><a class="{theme.LINK}" href="/staff/schedule">Schedule</a></p>'
            f'<h1 class="{theme.H1} mt-2">{"Move a visit" if moving else "Book a visit"}</h1>',
            sanitize=False).classes('w-full')
    if moving is not None and not (moving.changeable or moving.inside_cutoff):  # only a booked visit ahead moves
        ui.label(f'{moving.patient_name}, {moving.when}: this visit is {moving.status_label.lower()} and cannot be '
                 'moved. Book a new visit for the patient instead.').classes('text-slate-800').mark('not-movable')
        return
    if moving is not None:
        ui.html(f'<p class="text-slate-800">Now: {escape(moving.patient_name)}, {escape(moving.visit_type)}, '
                f'{escape(moving.when)}. The patient is emailed about the move.</p>', sanitize=False).classes('w-full')
    elif not form.patients:
        ui.label('Find the patient on the schedule page first.').classes('text-slate-700').mark('no-patient')
        return

    async def confirm(picked: Picked) -> None:
        slot = picked.slot
        assert slot is not None
        if moving is not None:
            await write(booking.reschedule, actor=session.actor(), appointment_id=moving.id, starts_at=slot.starts_at,
                        provider_id=slot.provider_id, location_id=slot.location_id)
        else:
            await write(booking.book, actor=session.actor(), visit_type_id=picked.visit_type_id,
                        patient_id=picked.patient_id, provider_id=slot.provider_id, location_id=slot.location_id,
                        starts_at=slot.starts_at)
        ui.navigate.to(f'/staff/schedule?day={slot.local.date().isoformat()}')

    picker = SlotPicker(form, on_confirm=confirm, confirm_label='Move the visit' if moving else 'Book the visit')
    await picker.start()


def _requests(view: StaffSchedule) -> None:
    with ui.column().classes(theme.CARD + ' gap-2').mark('change-requests'):
        ui.label(f'Change requests ({len(view.requests)})').classes(theme.H2).props('role=heading aria-level=2')
        if not view.requests:
            ui.label('No open change requests.').classes('text-slate-700')
        for request in view.requests:
            now = f' · now {escape(request.when)}' if request.when else ''
            move = (f' · <a class="{theme.LINK}" href="/staff/schedule/book?reschedule={request.appointment_id}">'
                    'Move this visit</a>') if request.appointment_id else ''
            ui.html(f'<p><a class="{theme.LINK}" href="/staff/messages/{request.thread_id}">'
                    f'{escape(request.subject)}</a></p><p class="text-slate-700 text-sm">'
                    f'{escape(request.patient_name)}{now}{move}</p>', sanitize=False) \
                .classes('w-full').mark(f'request-{request.thread_id}')
