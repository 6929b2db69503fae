"""/appointments: upcoming and past visits of the patients the user may see, each time in its location's
zone and labelled with it; add a visit to a calendar (.ics), reschedule or cancel it up to the practice's
cutoff, or, inside the cutoff, send the office a change request (an "appointment change" message).
/appointments/book: book a visit, or with ?reschedule=ID move one (components.slot_picker)."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import chips, dialogs, forms, page, session, theme, visit_dialogs
from components.calls import write
from components.guards import OneAtATime
from components.slot_picker import Picked, SlotPicker
from portal.errors import DomainError, ValidationFailed
from portal.services.appointments import booking, choices, visits
from portal.services.appointments.choices import BookingForm
from portal.services.appointments.visits import MyVisits, VisitView

STATUS = {'booked': ('Booked', 'good'), 'checked_in': ('Checked in', 'info'), 'completed': ('Completed', 'neutral'),
          'cancelled': ('Cancelled', 'bad'), 'no_show': ('Missed', 'warn')}
DONE = {'booked': 'Your visit is booked.', 'moved': 'Your visit was moved.', 'cancelled': 'Your visit was cancelled.'}


def register() -> None:
    @ui.page('/appointments', response_timeout=60)
    async def appointments_page(done: str = '') -> None:
        await page.show('Appointments', path='/appointments', draw=lambda view: _list(view, done),
                        load=lambda actor: write(visits.my_visits, actor=actor))

    @ui.page('/appointments/book', response_timeout=60)
    async def book_page(reschedule: str = '') -> None:
        await page.show('Book a visit', path='/appointments', draw=_book,
                        load=lambda actor: write(choices.booking_form, actor=actor,
                                                 reschedule_id=page.optional_id(reschedule)))


def _list(view: MyVisits, done: str) -> None:
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.html(f'<h1 class="{theme.H1}">Appointments</h1>', sanitize=False)
        if view.can_book:
            ui.button('Book a visit', icon='add', on_click=lambda: ui.navigate.to('/appointments/book')) \
                .props('unelevated no-caps size=lg').mark('book')
    if done in DONE:
        ui.html(f'<p role="status" class="w-full rounded-lg bg-green-50 text-green-900 px-3 py-2" '
                f'data-testid="done">{DONE[done]}</p>', sanitize=False).classes('w-full')
    ui.html(f'<p class="text-slate-700">You can reschedule or cancel online up to {view.cutoff_hours} hours before a '
            'visit; after that, send us a change request.</p>', sanitize=False).classes('w-full')
    ui.html(f'<h2 class="{theme.H2}">Upcoming</h2>', sanitize=False).classes('w-full')
    if not view.upcoming:
        ui.label('No upcoming visits.').classes('text-slate-700').mark('no-upcoming')
    for item in view.upcoming:
        _upcoming(item)
    if view.past:
        ui.html(f'<h2 class="{theme.H2}">Past and cancelled</h2>'
                f'<ul class="flex flex-col gap-2 w-full" data-testid="past">'
                f'{"".join(_past(item) for item in view.past)}'
                '</ul>', sanitize=False).classes('w-full')


def _details(item: VisitView) -> str:
    return (f'<div class="flex flex-wrap items-center gap-2"><span class="{theme.H2}" data-testid="when-{item.id}">'
            f'{escape(item.when)}</span>{chips.status_html(item.status, STATUS)}</div>'
            f'<p class="text-slate-800">{escape(item.patient_name)} · {escape(item.visit_type)} · '
            f'{item.duration_minutes} minutes</p><p class="text-slate-800">{escape(item.provider_name)}</p>'
            f'<p class="text-slate-700">{escape(item.location_name)}, {escape(item.location_address)}</p>')


def _upcoming(item: VisitView) -> None:
    with ui.column().classes(theme.CARD + ' gap-2').mark(f'visit-{item.id}'):
        ui.html(_details(item), sanitize=False).classes('w-full')
        with ui.row().classes('w-full gap-2'):
            ui.html(f'<a class="{theme.LINK} inline-flex items-center gap-1 py-2 px-1" download '
                    f'href="/documents/appointments/{item.id}.ics" data-testid="ics-{item.id}">'
                    '<i class="q-icon material-icons" aria-hidden="true">event</i>Add to calendar</a>',
                    sanitize=False)
            if item.changeable:
                ui.button('Reschedule', on_click=lambda: ui.navigate.to(f'/appointments/book?reschedule={item.id}')) \
                    .props('outline no-caps').mark(f'reschedule-{item.id}')
                ui.button('Cancel visit', on_click=lambda: visit_dialogs.cancel(
                    item, then=lambda: ui.navigate.to('/appointments?done=cancelled'))) \
                    .props('outline no-caps color=negative').mark(f'cancel-{item.id}')
            elif item.inside_cutoff:
                ui.button('Request a change', on_click=lambda: _change_dialog(item)) \
                    .props('outline no-caps').mark(f'change-{item.id}')


def _past(item: VisitView) -> str:
    return (f'<li class="{theme.CARD}" data-testid="past-{item.id}"><p class="text-slate-900">{escape(item.when)} '
            f'{chips.status_html(item.status, STATUS)}</p><p class="text-slate-700 text-sm">'
            f'{escape(item.patient_name)} · {escape(item.visit_type)} · {escape(item.provider_name)} · '
            f'{escape(item.location_name)}</p></li>')


def _change_dialog(item: VisitView) -> None:
    with dialogs.dialog('Ask us to change this visit') as dialog:
        ui.label(f'It is less than a day away, so the office makes the change. {item.visit_type} for '
                 f'{item.patient_name}, {item.when}.').classes('text-slate-800')
        body = ui.textarea('What would you like to change?').props('outlined autogrow maxlength=2000') \
            .classes('w-full').mark('change-body')
        error = forms.error_message()

        async def send() -> None:
            try:
                if not (body.value or '').strip():
                    raise ValidationFailed('Tell us what you would like to change.')
                thread_id = await write(booking.request_change, actor=session.actor(), appointment_id=item.id,
                                        body=body.value)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.navigate.to(f'/messages/{thread_id}')

        guarded = OneAtATime(send)
        guarded.disables(dialogs.actions(dialog, 'Send request', guarded))
    dialog.open()


def _not_movable(item: VisitView) -> str:
    """Why the patient cannot move this visit online (the same reasons the service refuses with)."""
    if item.status == 'cancelled':
        return 'This visit was cancelled, so it cannot be changed. Please book a new visit.'
    if item.inside_cutoff:
        return ('This visit is too soon to change online. Please send the office a change request '
                'from your appointments.')
    return 'This visit has already taken place or begun, so it cannot be changed online.'


async def _book(form: BookingForm) -> None:
    moving = form.moving
    title = 'Move your visit' if moving else 'Book a visit'
    ui.html(f'<p><a class="{theme.LINK}" href="/appointments">All appointments</a></p>'
            f'<h1 class="{theme.H1} mt-2">{title}</h1>', sanitize=False).classes('w-full')
    if moving is not None:
        ui.html(f'<p class="text-slate-800" data-testid="moving">Now: {escape(moving.visit_type)} for '
                f'{escape(moving.patient_name)}, {escape(moving.when)}</p>', sanitize=False).classes('w-full')
    if moving is not None and not moving.changeable:
        ui.label(_not_movable(moving)).classes('text-slate-800').mark('not-movable')
        return
    if not form.visit_types:
        ui.label('Visits are booked by phone for now. Please call the office.').classes('text-slate-700')
        return

    async def confirm(picked: Picked) -> None:
        slot = picked.slot
        assert slot is not None
        if moving is not None:
            await write(booking.reschedule, actor=session.actor(), appointment_id=moving.id,
                        starts_at=slot.starts_at, provider_id=slot.provider_id, location_id=slot.location_id)
            ui.navigate.to('/appointments?done=moved')
            return
        await write(booking.book, actor=session.actor(), visit_type_id=picked.visit_type_id,
                    patient_id=picked.patient_id, provider_id=slot.provider_id, location_id=slot.location_id,
                    starts_at=slot.starts_at)
        ui.navigate.to('/appointments?done=booked')

    picker = SlotPicker(form, on_confirm=confirm, confirm_label='Move my visit' if moving else 'Book this visit')
    await picker.start()

