"""For page tests of the booking steps (components.slot_picker): press the first open time shown."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User


async def pick_first_time(user: User) -> None:
    """Wait for the search's results (the day buttons and the times are drawn in one pass with "Choose a day";
    "times in C..." is already in the location choices before the search answers), press the first time,
    wait for the confirmation."""
    await user.should_see('Choose a day')
    await user.should_see('times in C')  # the times are headed with their zone
    buttons = [element for element in user.find(ui.button).elements
               if any(mark.startswith('time-') for mark in element._markers)]
    assert buttons, 'no open times shown'
    user.find(marker=next(mark for mark in buttons[0]._markers if mark.startswith('time-'))).click()
    await user.should_see('Confirm')
