"""Dialogs: every one has Cancel beside its one action, and is gone (not only hidden) soon after it
closes, so opening it again starts afresh."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from html import escape

from nicegui import background_tasks, ui

from components import theme

REMOVE_AFTER_SECONDS = 0.3  # Quasar's close transition


@contextmanager
def dialog(title: str, *, width: str = 'max-w-md') -> Iterator[ui.dialog]:
    """`with dialogs.dialog('Refund a payment') as dialog:` a dialog named for screen readers, its card
    and its heading; build the body inside, then dialogs.actions(dialog, ...), then dialog.open()."""
    element = ui.dialog().props(f'aria-label="{escape(title)}"')
    element.on_value_change(lambda event: None if event.value else background_tasks.create(
        _remove_later(element), name='remove closed dialog'))
    with element, ui.card().classes(f'w-full {width} gap-3').props(f'aria-label="{escape(title)}"'):
        ui.label(title).classes(theme.H2)
        yield element


async def _remove_later(element: ui.dialog) -> None:
    # not at once: removing an open dialog in the same update as what its handler sends next (a
    # navigation, a reload) loses that in the browser; this waits out the close transition too
    await asyncio.sleep(REMOVE_AFTER_SECONDS)
    if not element.is_deleted and not element.value:
        element.delete()


def actions(dialog: ui.dialog, text: str, on_click: Callable, *, mark: str = 'submit', cancel: str = 'Cancel',
            danger: bool = False) -> ui.button:
    """Cancel (closes, changes nothing; `cancel` renames it where "Cancel" would be ambiguous, as beside
    "Cancel the plan") and the action, right-aligned; returns the action's button."""
    with ui.row().classes('w-full justify-end gap-2'):
        ui.button(cancel, on_click=dialog.close).props('flat no-caps size=lg').mark('cancel')
        return ui.button(text, on_click=on_click).mark(mark) \
            .props('unelevated no-caps size=lg' + (' color=negative' if danger else ''))
