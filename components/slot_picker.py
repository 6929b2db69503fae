"""The booking steps shared by patients (/appointments/book) and staff (/staff/schedule): visit type →
patient → provider (or any) → location (or any) → a day with open times → a time → confirm. Times are
shown in each location's zone and labelled with it. Per-client state: build it inside a page."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

from nicegui import ui

from components import forms, session, theme
from components.calls import read
from components.guards import OneAtATime
from portal.clock import utcnow
from portal.errors import DomainError
from portal.services.appointments import slots
from portal.services.appointments.choices import BookingForm, Choice
from portal.services.appointments.slots import DaySlots, Slot

ANY = 0
DAYS = 14


@dataclass
class Picked:
    visit_type_id: int | None = None
    patient_id: int | None = None
    provider_id: int = ANY
    location_id: int = ANY
    first_day: date | None = None
    day: date | None = None
    slot: Slot | None = None
    days: tuple[DaySlots, ...] = ()


def _options(choices: list[Choice]) -> dict[int, str]:
    return {choice.id: f'{choice.label} ({choice.detail})' if choice.detail else choice.label for choice in choices}


class SlotPicker:
    """Draw the steps; `on_confirm(picked)` books (or moves) and raises DomainError to show a message."""

    def __init__(self, form: BookingForm, *, on_confirm: Callable[[Picked], Awaitable[None]],
                 confirm_label: str = 'Book this visit') -> None:
        self.form, self.on_confirm, self.confirm_label = form, on_confirm, confirm_label
        moving = form.moving
        self.picked = Picked(
            visit_type_id=moving.visit_type_id if moving else (form.visit_types[0].id if len(form.visit_types) == 1
                                                               else None),
            patient_id=moving.patient_id if moving else (form.patients[0].id if len(form.patients) == 1 else None),
            provider_id=moving.provider_id if moving else ANY, location_id=moving.location_id if moving else ANY)
        self._draw_choices()
        self.results = ui.column().classes('w-full gap-3').mark('slot-results')

    def _draw_choices(self) -> None:
        form = self.form
        with ui.column().classes(theme.CARD + ' gap-3'):
            if form.moving is None or self.picked.visit_type_id is None:  # an older visit may have no type
                ui.label('What kind of visit?').classes(theme.H2)
                ui.radio(_options(form.visit_types), value=self.picked.visit_type_id,
                         on_change=lambda event: self._set(visit_type_id=event.value)).mark('visit-type')
            if form.moving is None:
                ui.label('Who is the visit for?').classes(theme.H2)
                if form.patients:
                    ui.radio(_options(form.patients), value=self.picked.patient_id,
                             on_change=lambda event: self._set(patient_id=event.value)).mark('patient')
                else:
                    ui.label('There is no patient on your account to book for.').classes('text-slate-700')
            ui.select({ANY: 'Any available provider'} | _options(form.providers), value=self.picked.provider_id,
                      label='Provider', on_change=lambda event: self._set(provider_id=event.value or ANY)) \
                .props('outlined').classes('w-full').mark('provider')
            ui.select({ANY: 'Any location'} | _options(form.locations), value=self.picked.location_id,
                      label='Location', on_change=lambda event: self._set(location_id=event.value or ANY)) \
                .props('outlined').classes('w-full').mark('location')

    async def start(self) -> None:
        await self._search()

    async def _set(self, **changes: object) -> None:
        for name, value in changes.items():
            setattr(self.picked, name, value)
        self.picked.day, self.picked.slot, self.picked.first_day = None, None, None
        await self._search()

    async def _search(self) -> None:
        picked = self.picked
        self.results.clear()
        if picked.visit_type_id is None or picked.patient_id is None:
            with self.results:
                ui.label('Choose the kind of visit and who it is for to see open times.') \
                    .classes('text-slate-700').mark('choose-first')
            return
        try:
            picked.days = await read(slots.open_slots, actor=session.actor(), visit_type_id=picked.visit_type_id,
                                     provider_id=picked.provider_id or None, location_id=picked.location_id or None,
                                     first_day=picked.first_day, days=DAYS)
        except DomainError as failure:
            with self.results:
                ui.label(failure.message).classes('text-red-800').props('role=alert')
            return
        if picked.days and (picked.day is None or picked.day not in {day.day for day in picked.days}):
            picked.day = picked.days[0].day
        self._draw_results()

    def _draw_results(self) -> None:
        picked = self.picked
        self.results.clear()
        with self.results, ui.column().classes(theme.CARD + ' gap-3'):
            ui.label('Choose a day').classes(theme.H2)
            if not picked.days:
                ui.label('No open times in these two weeks. Try later dates, another provider or location.') \
                    .classes('text-slate-700').mark('no-slots')
            with ui.row().classes('w-full gap-2').props('role=group aria-label="Days with open times"'):
                for day in picked.days:
                    chosen = day.day == picked.day
                    ui.button(f'{day.day:%a} {day.day:%b} {day.day.day}', on_click=lambda _, d=day.day: self._day(d)) \
                        .props(f'no-caps {"unelevated" if chosen else "outline"} aria-pressed={str(chosen).lower()}') \
                        .mark(f'day-{day.day.isoformat()}')
            with ui.row().classes('w-full gap-2'):
                ui.button('Later dates', icon='chevron_right', on_click=self._later) \
                    .props('flat no-caps').mark('later-dates')
            for day in picked.days:
                if day.day == picked.day:
                    self._draw_times(day)

    def _draw_times(self, day: DaySlots) -> None:
        by_location: dict[int, list[Slot]] = {}
        for slot in day.slots:
            by_location.setdefault(slot.location_id, []).append(slot)
        for items in by_location.values():
            first = items[0]
            ui.html(f'<h3 class="text-base font-semibold text-slate-900">{escape(first.location_name)} · '
                    f'{first.local:%A} {forms.short_date(first.local.date())} · times in {first.zone_label}</h3>',
                    sanitize=False).classes('w-full')
            group = f'role=group aria-label="Times at {escape(first.location_name)}"'
            with ui.row().classes('w-full gap-2').props(group):
                for slot in items:
                    label = slot.local.strftime('%I:%M %p').lstrip('0') + f' {slot.zone_label}'
                    ui.button(label, on_click=lambda _, s=slot: self._choose(s)) \
                        .props('outline no-caps').classes('min-w-[7.5rem]') \
                        .mark(f'time-{slot.local:%H%M}-{slot.location_id}')

    async def _day(self, chosen: date) -> None:
        self.picked.day = chosen
        self._draw_results()

    async def _later(self) -> None:
        last = self.picked.days[-1].day if self.picked.days else (self.picked.first_day or forms.local(utcnow()).date())
        self.picked.first_day = last + timedelta(days=1) if self.picked.days else last + timedelta(days=DAYS)
        self.picked.day = None
        await self._search()

    def _choose(self, slot: Slot) -> None:
        self.picked.slot = slot
        self._draw_results()
        type_name = next((c.label for c in self.form.visit_types if c.id == self.picked.visit_type_id), '')
        if self.form.moving is not None:
            type_name = self.form.moving.visit_type
        patient = next((c.label for c in self.form.patients if c.id == self.picked.patient_id), '')
        if self.form.moving is not None:
            patient = self.form.moving.patient_name
        when = f'{slot.local:%A}, {forms.short_date(slot.local.date())} at ' \
               f'{slot.local.strftime("%I:%M %p").lstrip("0")} {slot.zone_label}'
        with self.results, ui.column().classes(theme.CARD + ' gap-2 border-teal-700').props(
                'role=region aria-label="Confirm your visit"') as card:
            ui.html(f'<h2 class="{theme.H2}">Confirm</h2>'
                    f'<p class="text-slate-900 font-medium" data-testid="confirm-when">'
                    f'{escape(when)}</p><p class="text-slate-800">{escape(type_name)} for {escape(patient)}</p>'
                    f'<p class="text-slate-800">{escape(slot.provider_name)} · {escape(slot.location_name)}</p>',
                    sanitize=False).classes('w-full')
            error = forms.error_message()

            async def confirm() -> None:
                forms.set_error(error, '')
                try:
                    await self.on_confirm(self.picked)
                except DomainError as failure:
                    forms.set_error(error, failure.message)

            guarded = OneAtATime(confirm)
            button = forms.submit_button(self.confirm_label, guarded)
            guarded.disables(button)
        # on a phone the times run long: bring the confirmation (below them) into view
        card.client.run_javascript(f'document.getElementById("c{card.id}")?.scrollIntoView({{block: "center"}})')
