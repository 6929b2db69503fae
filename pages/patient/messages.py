"""The patient's inbox at /messages: every conversation with the billing office, newest first, each with
its subject, category, status, the first line of the last message, unread count and, while the office owes
a reply, the date it is expected by. It follows the accounts' inbox topics live."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import chips, forms, live, page, session, theme
from components.calls import read
from portal.services.messaging import inbox
from portal.services.messaging.inbox import InboxRow, InboxView


def register() -> None:
    @ui.page('/messages', response_timeout=60)
    async def inbox_page() -> None:
        await page.show('Messages', path='/messages', draw=_inbox,
                        load=lambda actor: read(inbox.inbox, actor=actor))


def _inbox(view: InboxView) -> None:
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.html(f'<h1 class="{theme.H1}">Messages</h1>', sanitize=False)
        ui.button('New message', icon='edit').props('unelevated no-caps href=/messages/new') \
            .classes('text-base').mark('new-message')
    listing = ui.html(_rows_html(view), sanitize=False).classes('w-full').mark('inbox')

    async def refresh() -> None:
        listing.set_content(_rows_html(await read(inbox.inbox, actor=session.actor())))

    live.watch([f'inbox:{account_id}' for account_id in view.account_ids], refresh)


def _rows_html(view: InboxView) -> str:
    if not view.rows:
        return (f'<section class="{theme.CARD}"><h2 class="{theme.H2}">No messages yet</h2>'
                '<p class="text-slate-700">Questions about a bill, a payment plan or your insurance? '
                'Write to the billing office with “New message”, or use “Ask about this charge” on a '
                'statement.</p></section>')
    summary = (f'{view.unread_total} unread' if view.unread_total else 'All read')
    return (f'<p class="{theme.MUTED} mb-2" data-testid="inbox-summary">{summary}</p>'
            f'<ul class="flex flex-col gap-2 min-w-0" aria-label="Conversations">'
            f'{"".join(map(_row_html, view.rows))}</ul>')


def _row_html(row: InboxRow) -> str:
    unread = row.unread > 0
    count = (f'<span class="rounded-full bg-teal-800 text-white text-xs font-semibold px-2 py-0.5 shrink-0" '
             f'aria-label="{row.unread} unread">{row.unread}</span>' if unread else '')
    promise = (f'<p class="text-sm text-slate-700">Expected reply by {forms.long_date(row.expected_reply_by)}</p>'
               if row.expected_reply_by else '')
    account = f'<p class="{theme.MUTED}">{escape(row.account_label)}</p>' if row.account_label else ''
    weight = 'font-bold' if unread else 'font-medium'
    edge = ' border-l-4 border-l-teal-700' if unread else ''
    return (f'<li class="min-w-0"><a href="/messages/{row.id}" data-testid="thread-{row.id}" class="no-underline block '
            f'{theme.CARD}{edge} hover:border-teal-600 focus-visible:outline focus-visible:outline-2 '
            f'focus-visible:outline-teal-700">'
            # w-0 min-w-full: as wide as the card, never wider (a one-word subject or preview would widen the page)
            f'<div class="flex no-wrap items-start gap-2 w-0 min-w-full">'
            f'<p class="text-slate-900 {weight} break-words min-w-0 '
            f'flex-1">{escape(row.subject)}</p>{count}</div>'
            f'<p class="text-slate-700 truncate w-0 min-w-full">{escape(row.preview)}</p>'
            f'<div class="flex flex-wrap items-center gap-2 mt-1">'
            f'{chips.chip_html(row.category_label, "neutral")}'
            f'{chips.status_html(row.status, chips.THREAD)}'
            f'<span class="{theme.MUTED}">{escape(forms.appointment_time(row.last_message_at))}</span></div>'
            f'{promise}{account}</a></li>')
