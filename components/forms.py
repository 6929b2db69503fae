"""Form helpers: inputs with length limits and inline errors, and a page-level error message."""
from __future__ import annotations

from datetime import date, datetime

from nicegui import ui

from portal.clock import practice_time
from portal.money import format_money
from portal.services.practice import cached_zone


def field(label: str, *, max_length: int, kind: str = 'text', autocomplete: str = '',
          required: str | None = None, mark: str = '') -> ui.input:
    """An outlined input that refuses more than max_length characters, with an inline message."""
    checks = {f'Use at most {max_length} characters.': lambda value: len(value or '') <= max_length}
    if required:
        checks = {required: lambda value: bool((value or '').strip()), **checks}
    element = ui.input(label, validation=checks).props(
        f'outlined maxlength={max_length} type={kind} lazy-rules=ondemand'
        + (f' autocomplete={autocomplete}' if autocomplete else '')).classes('w-full')
    if mark:
        element.mark(mark)
    return element


def clear_quietly(element: ui.input) -> None:
    """Empty a field without validating it: a refused password is cleared, not reported as missing."""
    element.value = ''  # validates it: "Enter your password."
    element.error = None  # ...which is not the problem


def clear_errors(fields: dict[str, ui.input]) -> None:
    for element in fields.values():
        element.error = None


def show_errors(fields: dict[str, ui.input], errors: dict[str, str]) -> None:
    for name, message in errors.items():
        if name in fields:
            fields[name].error = message


def all_valid(fields: dict[str, ui.input]) -> bool:
    return all([element.validate() for element in fields.values()])


def error_message() -> ui.label:
    """A page-level error, read out by screen readers when it appears."""
    return ui.label().classes('w-full text-red-800 bg-red-50 border border-red-200 rounded-lg px-3 py-2 hidden') \
        .props('role=alert')


def set_error(label: ui.label, message: str) -> None:
    label.text = message
    if message:
        label.classes(remove='hidden')
    else:
        label.classes(add='hidden')


def money(minor: int, currency: str = 'USD') -> str:
    return format_money(minor, currency)


def long_date(value: date) -> str:
    return f'{value:%B} {value.day}, {value.year}'


def short_date(value: date) -> str:
    return f'{value:%b} {value.day}, {value.year}'


def local(value: datetime) -> datetime:
    """A stored UTC time on the practice's wall clock (its stored zone, services.practice.cached_zone)."""
    return practice_time(value, zone=cached_zone())


def date_time(value: datetime | None) -> str:
    """A stored UTC instant as the practice's date and 24-hour time with its zone; '—' for none."""
    if value is None:
        return '—'
    when = local(value)
    return f'{short_date(when.date())}, {when:%H:%M %Z}'


def appointment_time(value: datetime) -> str:
    when = local(value)
    return f'{when:%a} {short_date(when.date())}, {when.strftime("%I:%M %p").lstrip("0")}'


def submit_button(text: str, on_click) -> ui.button:  # noqa: ANN001
    """The form's one primary action: full width, large, marked 'submit' for tests."""
    return ui.button(text, on_click=on_click).mark('submit').props('unelevated no-caps size=lg') \
        .classes('w-full text-base')
