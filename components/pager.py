"""Previous / Page n of m / Next links under a paged staff table (a drill-down's rows)."""
from __future__ import annotations

from nicegui import ui

from components import theme


def pager(path: str, page: int, pages: int, query: str) -> None:
    """Links to the neighbouring pages of `path` with its `query` (its own parameters, without page_number)."""
    if pages <= 1:
        return
    with ui.row().classes('items-center gap-4').props('role=navigation aria-label=Pages'):
        if page > 1:
            ui.link('Previous', f'{path}?{query}&page_number={page - 1}').classes(theme.LINK)
        ui.label(f'Page {page} of {pages}').classes('text-sm')
        if page < pages:
            ui.link('Next', f'{path}?{query}&page_number={page + 1}').classes(theme.LINK).mark('next-page')
