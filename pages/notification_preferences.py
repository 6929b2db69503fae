"""The profile page's "Notifications" card: which messages a patient gets, by email and by text."""
from __future__ import annotations

from nicegui import background_tasks, ui

from components import forms, session, theme
from components.calls import read, write
from portal.errors import DomainError
from portal.services import preferences


def card(auth: dict) -> None:
    """Draw the card for a signed-in patient (staff get no billing reminders, so no card). Its choices
    load in the background, so the rest of the page does not wait for them."""
    if auth.get('role') != 'patient':
        return
    container = ui.column().classes(theme.CARD + ' gap-3').mark('notification-preferences')
    with container:
        ui.label('Notifications').classes(theme.H2).props('role=heading aria-level=2')
    actor = session.actor()

    async def fill() -> None:
        view = await read(preferences.preferences_for, actor=actor)
        with container:
            _choices(view, actor)

    background_tasks.create(fill(), name='notification-preferences')


def _choices(view: preferences.PreferencesView, actor) -> None:  # noqa: ANN001
    texting = view.texting_available
    ui.label('Choose what we send you. Messages never include medical details: sign in to see them.') \
        .classes(theme.MUTED)
    error = forms.error_message()
    done = ui.label('').classes('hidden text-green-800').props('role=status')
    if view.texts_stopped:
        ui.label('You replied STOP, so we send you no texts. Tick a box under "Text" to get texts again.') \
            .classes('text-amber-900 bg-amber-50 rounded-lg px-3 py-2 text-sm').mark('texts-stopped')
    boxes: dict[tuple[str, str], ui.checkbox] = {}
    columns = 'grid-cols-[1fr_auto_auto]' if texting else 'grid-cols-[1fr_auto]'
    with ui.element('div').classes(f'grid {columns} items-center gap-x-4 gap-y-1 w-full') \
            .props('role=group aria-label="Notification choices"'):
        ui.label('Message').classes('text-sm font-medium text-slate-700')
        ui.label('Email').classes('text-sm font-medium text-slate-700 text-center')
        if texting:
            ui.label('Text').classes('text-sm font-medium text-slate-700 text-center')
        for kind, label in preferences.KIND_LABELS.items():
            ui.label(label).classes('text-slate-800')
            for channel in ('email', 'sms') if texting else ('email',):
                spoken = f'{label} by {"email" if channel == "email" else "text message"}'
                box = ui.checkbox(value=view.choices[kind][channel]).props(f'aria-label="{spoken}"') \
                    .mark(f'pref-{kind}-{channel}')
                boxes[(kind, channel)] = box
    phone = None
    if texting:
        phone = forms.field('Mobile number for texts', max_length=20, kind='tel', autocomplete='tel',
                            mark='mobile-phone')
        phone.value = view.mobile_phone
        ui.label('At most one text a day and three a week, never between 9 pm and 8 am. '
                 'Reply STOP to any text to stop them. Message and data rates may apply.').classes(theme.MUTED)
    else:
        ui.label('Text messages are not offered by this practice yet.').classes(theme.MUTED)

    async def save() -> None:
        forms.set_error(error, '')
        done.classes(add='hidden')
        if phone is not None:
            phone.error = None
        choices = {kind: {channel: box.value for (k, channel), box in boxes.items() if k == kind}
                   for kind in preferences.KIND_LABELS}
        try:
            await write(preferences.save_preferences, actor=actor, choices=choices,
                        mobile_phone=phone.value if phone is not None else view.mobile_phone)
        except DomainError as failure:
            if phone is not None and 'mobile_phone' in failure.field_errors:
                phone.error = failure.field_errors['mobile_phone']
            forms.set_error(error, failure.message)
            return
        done.text = 'Your notification choices were saved.'
        done.classes(remove='hidden')

    ui.button('Save notification choices', on_click=save).mark('save-preferences') \
        .props('unelevated no-caps')
