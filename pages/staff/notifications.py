"""Staff: the message outbox (pending, sending, sent, failed, suppressed), filtered by status, so staff can
see what is waiting when email or texting is not configured. Recipients are masked; no message body
is shown (bodies are rendered only when sent)."""
from __future__ import annotations

from nicegui import ui

from components import forms, page, theme
from components.calls import write
from portal.services import operations

WIDE = 'max-md:hidden'  # columns a phone leaves out, so the table fits without scrolling sideways
COLUMNS = [
    {'name': 'created', 'label': 'Queued', 'field': 'created', 'align': 'left'},
    {'name': 'status', 'label': 'Status', 'field': 'status', 'align': 'left'},
    {'name': 'template', 'label': 'Message', 'field': 'template', 'align': 'left'},
    {'name': 'channel', 'label': 'Channel', 'field': 'channel', 'align': 'left'},
    {'name': 'recipient', 'label': 'To', 'field': 'recipient', 'align': 'left'},
    {'name': 'send_after', 'label': 'Send after', 'field': 'send_after', 'align': 'left'},
    {'name': 'sent_at', 'label': 'Sent', 'field': 'sent_at', 'align': 'left'},
    {'name': 'attempts', 'label': 'Tries', 'field': 'attempts', 'align': 'right'},
    {'name': 'last_error', 'label': 'Note', 'field': 'last_error', 'align': 'left', 'style': 'max-width: 18rem'},
]
for column in COLUMNS[3:]:
    column['classes'] = column['headerClasses'] = WIDE + (' break-all' if column['name'] == 'last_error' else '')


def register() -> None:
    @ui.page('/staff/notifications', response_timeout=60)
    async def notifications_page(status: str | None = None) -> None:
        chosen = status if status in operations.STATUSES else None
        await page.show('Notifications', path='/staff/notifications', draw=lambda view: _outbox(view, chosen),
                        load=lambda actor: write(operations.outbox, actor=actor, status=status))


def _outbox(view: operations.OutboxView, chosen: str | None) -> None:
    ui.label('Notification outbox').classes(theme.H1).props('role=heading aria-level=1')
    email = 'Email is sent over SMTP.' if view.email_configured else \
        'Email is not configured (PORTAL_SMTP_URL), so email waits here as pending.'
    texting = 'Texting is off (PORTAL_SMS_PROVIDER).' if view.texting == 'off' else \
        f'Texts go through the "{view.texting}" provider.'
    ui.label(f'{email} {texting}').classes('text-slate-700').mark('delivery-state')
    with ui.row().classes('gap-2 flex-wrap').props('role=navigation aria-label="Filter by status"'):
        _filter('All', None, sum(view.counts.values()), chosen)
        for name in operations.STATUSES:
            _filter(name.capitalize(), name, view.counts[name], chosen)
    rows = [{'id': row.id, 'created': forms.date_time(row.created_at), 'status': row.status, 'channel': row.channel,
             'template': row.template.replace('_', ' '), 'recipient': row.recipient,
             'send_after': forms.date_time(row.send_after) if row.status == 'pending' else '',
             'sent_at': forms.date_time(row.sent_at), 'attempts': row.attempts, 'last_error': row.last_error}
            for row in view.rows]
    with ui.column().classes(theme.CARD + ' gap-2 p-0 sm:p-0 overflow-hidden'):
        if not rows:
            ui.label('No messages here.').classes('p-4 text-slate-700').mark('outbox-empty')
        ui.table(columns=COLUMNS, rows=rows, row_key='id', pagination=25) \
            .props('flat dense wrap-cells').classes('w-full') \
            .mark('outbox-table').set_visibility(bool(rows))
    if len(view.rows) == operations.OUTBOX_LIMIT:
        ui.label(f'Showing the newest {operations.OUTBOX_LIMIT}.').classes(theme.MUTED)


def _filter(label: str, status: str | None, count: int, chosen: str | None) -> None:
    target = '/staff/notifications' + (f'?status={status}' if status else '')
    current = status == chosen
    style = 'bg-teal-800 text-white' if current else 'bg-white text-slate-800 border border-slate-300'
    link = ui.link(f'{label} ({count})', target).classes(f'no-underline rounded-full px-3 py-2 text-sm {style}') \
        .mark(f'filter-{status or "all"}')
    if current:
        link.props('aria-current=page')
