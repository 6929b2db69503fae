"""The paperless card on the profile page: statements by email instead of paper, per account."""
from __future__ import annotations

from nicegui import ui

from components import forms, session, theme
from components.calls import read, write
from portal.errors import DomainError
from portal.services import paperless
from portal.services.paperless import PaperlessChoice


async def load() -> tuple[PaperlessChoice, ...]:
    """Read before drawing: a page that awaits mid-way is sent to the browser half built."""
    return await read(paperless.paperless_choices, actor=session.actor())


def card(choices: tuple[PaperlessChoice, ...]) -> None:
    """Draw the card (nothing for users without billing accounts)."""
    if not choices:
        return
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Paperless statements').classes(theme.H2)
        ui.label('Get an email when a new statement is ready instead of paper in the mail. The email says only '
                 'that a statement is ready; the details stay behind your sign-in.').classes('text-slate-700')
        error = forms.error_message()
        for choice in choices:
            label = 'Paperless' if len(choices) == 1 else f'Paperless for account {choice.account_number}'

            async def change(event, account_id: int = choice.account_id) -> None:  # noqa: ANN001
                forms.set_error(error, '')
                try:
                    await write(paperless.set_paperless, actor=session.actor(), account_id=account_id,
                                paperless=bool(event.value))
                except DomainError as failure:
                    forms.set_error(error, failure.message)
                    event.sender.set_value(not event.value)
                    return
                ui.notify('Saved: ' + ('statements come by email.' if event.value else 'statements come by mail.'))

            ui.switch(label, value=choice.paperless, on_change=change).mark(f'paperless-{choice.account_number}')
