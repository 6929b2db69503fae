"""The one "Cancel this visit?" dialog, for patients (/appointments) and staff (/staff/schedule)."""
from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from components import dialogs, forms, session
from components.calls import write
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.services.appointments import booking
from portal.services.appointments.visits import VisitView


def cancel(item: VisitView, *, note: str = '', then: Callable[[], None]) -> None:
    """Ask, then cancel the visit as the signed-in person; `then()` after it is cancelled (a message from
    the service, such as the cutoff passing meanwhile, shows in the dialog)."""
    with dialogs.dialog('Cancel this visit?') as dialog:
        ui.label(f'{item.visit_type} for {item.patient_name}, {item.when}.{" " + note if note else ""}') \
            .classes('text-slate-800')
        error = forms.error_message()

        async def confirm() -> None:
            try:
                await write(booking.cancel, actor=session.actor(), appointment_id=item.id)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            dialog.close()
            then()

        guarded = OneAtATime(confirm)
        guarded.disables(dialogs.actions(dialog, 'Cancel the visit', guarded, cancel='Keep it', danger=True))
    dialog.open()
