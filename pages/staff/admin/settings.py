"""Admins: the practice's settings at /staff/admin/settings. The form is drawn from
`portal.services.practice_admin.FIELDS` (a new setting there appears here by itself); every field is
checked by the service, each change audited. A changed time zone moves the daily jobs at once when this
process runs the scheduler (otherwise its leader follows within a minute)."""
from __future__ import annotations

from typing import Any

from nicegui import events, run, ui

from components import forms, session, theme, uploads
from components.calls import call, read
from components.frame import frame
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.jobs.scheduler import SchedulerService
from portal.services import practice_admin
from portal.services.practice_admin import FIELDS, SettingField

PATH = '/staff/admin/settings'


def register(scheduler: SchedulerService) -> None:
    @ui.page(PATH, response_timeout=60)
    async def settings_page() -> None:
        auth = session.current_auth()
        assert auth is not None
        view = await read(practice_admin.practice_settings, actor=session.actor())
        zones = await run.io_bound(practice_admin.time_zones)
        with frame('Practice settings', auth=auth, path=PATH):
            ui.label('Practice settings').classes(theme.H1).props('role=heading aria-level=1')
            _logo(view.logo_url)
            with ui.column().classes(theme.CARD + ' gap-3').mark('settings-form'):
                error = forms.error_message()
                inputs = {field.name: _input(field, view.values[field.name], zones) for field in FIELDS}
                # only what this admin changed is sent: another admin's save meanwhile is not undone
                shown = {name: element.value for name, element in inputs.items()}
                with ui.row().classes('w-full items-center gap-2'):
                    ui.label('Payments').classes('font-semibold')
                    ui.label('Demo (no money moves)' if view.payments_mode == 'demo' else 'Stripe') \
                        .classes('text-slate-700').mark('payments-mode')
                    ui.label('Set by the server (PORTAL_PAYMENTS); not editable here.').classes(theme.MUTED)

                @OneAtATime
                async def save() -> None:
                    forms.set_error(error, '')
                    for element in inputs.values():
                        element.error = None
                    values = {name: element.value for name, element in inputs.items()
                              if element.value != shown[name]}
                    try:
                        changed = await call(practice_admin.update_practice_settings, actor=session.actor(),
                                             values=values)
                    except DomainError as failure:
                        for name, message in failure.field_errors.items():
                            if name in inputs:
                                inputs[name].error = message
                        forms.set_error(error, failure.message)
                        return
                    shown.update(values)
                    if 'timezone' in changed:
                        await run.io_bound(scheduler.follow_zone)
                    ui.notify(f'Saved {len(changed)} change(s).' if changed else 'Nothing changed.', type='positive')

                save.disables(forms.submit_button('Save settings', save))


def _input(field: SettingField, value: Any, zones: list[str]) -> ui.element:  # noqa: ANN401
    if field.kind == 'switch':
        element = ui.switch(field.label, value=bool(value))
    elif field.kind == 'zone':
        element = ui.select(zones, value=value, label=field.label, with_input=True).props('outlined') \
            .classes('w-full')
    else:
        element = ui.input(field.label, value='' if value is None else str(value)).props('outlined') \
            .classes('w-full')
        if field.kind == 'number':
            element.props('inputmode=numeric')
    if field.help and field.kind == 'switch':
        ui.label(field.help).classes(theme.MUTED)
    elif field.help:
        element.props(f'hint="{field.help}"')
    return element.mark(f'setting-{field.name}')


def _logo(url: str) -> None:
    with ui.column().classes(theme.CARD + ' gap-3').mark('logo-card'):
        ui.label('Logo').classes(theme.H2).props('role=heading aria-level=2')
        if url:
            ui.image(url).classes('w-24 h-24 object-contain').props('alt="The practice logo" fit=contain')
        else:
            ui.label('No logo uploaded yet: signed-in pages show the Settle mark.').classes(theme.MUTED)
        message = forms.error_message()

        async def upload(event: events.UploadEventArguments) -> None:
            forms.set_error(message, '')
            try:
                await call(practice_admin.set_practice_logo, actor=session.actor(), name=event.file.name,
                           data=await event.file.read())
            except DomainError as failure:
                forms.set_error(message, failure.message)
                return
            ui.navigate.reload()

        uploads.photo_upload('Upload a logo (JPEG, PNG or HEIC)', on_upload=upload, mark='logo-upload',
                             pictures_only=True)
