"""The one double-submit guard: while a handler runs, another click (a double click, an impatient
second tap) does nothing, and the buttons it controls are disabled until it is done."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from nicegui import ui


class OneAtATime:
    """Wrap a handler (sync or async) so calls made while it runs are ignored.

        send = OneAtATime(send)              # or: @OneAtATime
        ui.button('Send', on_click=send)     # a second click while `send` runs does nothing
        send.disables(button, other_button)  # disabled while it runs, enabled again after

    `running` says whether it is running. The buttons come back even when the handler fails.
    """

    def __init__(self, handler: Callable[..., Any]) -> None:
        functools.update_wrapper(self, handler)
        self.handler = handler
        self.running = False
        self.controls: list[ui.element] = []

    def disables(self, *elements: ui.element) -> OneAtATime:
        self.controls.extend(elements)
        return self

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:  # noqa: ANN401  (whatever the handler returns)
        if self.running:
            return None
        self.running = True
        for element in self.controls:
            element.disable()
        try:
            result = self.handler(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            self.running = False
            for element in self.controls:
                if not element.is_deleted:
                    element.enable()
