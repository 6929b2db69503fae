"""The one status chip: a small rounded label whose colour says how things stand, drawn the same way
for statements, plans, jobs and saved methods. `chip_html` goes inside a page's HTML blocks, `chip`
is an element of its own; each status table maps a status to (what people read, tone)."""
from __future__ import annotations

from html import escape

from nicegui import ui

TONES = {'good': 'bg-green-100 text-green-900', 'info': 'bg-sky-100 text-sky-900', 'bad': 'bg-red-100 text-red-900',
         'warn': 'bg-amber-100 text-amber-900', 'brand': 'bg-teal-50 text-teal-900',
         'neutral': 'bg-slate-100 text-slate-800'}
SHAPE = 'inline-block text-xs font-semibold rounded-full px-2 py-0.5 whitespace-nowrap'

STATEMENT = {'paid': ('Paid', 'good'), 'due': ('Due', 'info'), 'overdue': ('Overdue', 'bad')}
PLAN = {'active': ('On track', 'good'), 'delinquent': ('Past due', 'bad'), 'completed': ('Paid off', 'info')}
PAYMENT = {'succeeded': ('Paid', 'good'), 'processing': ('Processing', 'warn'), 'failed': ('Failed', 'bad')}
JOB = {'ok': ('ok', 'good'), 'failed': ('failed', 'bad'), 'running': ('running', 'info')}
THREAD = {'open': ('Waiting for the office', 'info'), 'waiting_on_patient': ('Waiting for you', 'warn'),
          'resolved': ('Resolved', 'good')}


def look(status: str, table: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(text, tone) for a status; an unknown one reads as itself, in the neutral tone."""
    return table.get(status, (status.replace('_', ' ').capitalize(), 'neutral'))


def chip_html(text: str, tone: str, *, test_id: str = '') -> str:
    marker = f' data-testid="{escape(test_id)}"' if test_id else ''
    return f'<span{marker} class="{SHAPE} {TONES[tone]}">{escape(text)}</span>'


def chip(text: str, tone: str) -> ui.label:
    return ui.label(text).classes(f'{SHAPE} {TONES[tone]} shrink-0')


def status_html(status: str, table: dict[str, tuple[str, str]], *, test_id: str = '') -> str:
    """The chip of `status` as the table describes it."""
    return chip_html(*look(status, table), test_id=test_id)
