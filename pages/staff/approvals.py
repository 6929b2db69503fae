"""The approval queue (/staff/approvals): adjustments over the practice's limit, waiting for an admin other
than the one who asked. Staff see the queue; admins approve or decline (never their own)."""
from __future__ import annotations

from nicegui import ui

from components import dialogs, forms, page, session, theme
from components.calls import write
from components.guards import OneAtATime
from portal.errors import DomainError
from portal.services.desk import adjustments


def register() -> None:
    @ui.page('/staff/approvals', response_timeout=60)
    async def approvals_page() -> None:
        await page.show('Approvals', path='/staff/approvals', draw=lambda items: _queue(session.actor(), items),
                        load=lambda actor: write(adjustments.approval_queue, actor=actor))


def _queue(actor, items: tuple[adjustments.ApprovalItem, ...]) -> None:  # noqa: ANN001
    ui.label('Approvals').classes(theme.H1).props('role=heading aria-level=1')
    ui.label('Adjustments over the practice\'s limit wait here for an admin other than the one who asked.') \
        .classes(theme.MUTED)
    admin = actor.role == 'admin'
    with ui.column().classes(theme.CARD + ' gap-0').mark('approvals'):
        if not items:
            ui.label('Nothing is waiting for approval.').classes('text-slate-800').mark('empty')
        for item in items:
            with ui.row().classes('w-full items-center gap-x-4 gap-y-1 py-3 border-b border-slate-100') \
                    .mark('approval'):
                with ui.column().classes('gap-0 grow'):
                    ui.link(f'{item.guarantor} · {item.account_number}', f'/staff/accounts/{item.account_id}') \
                        .classes(theme.LINK)
                    ui.label(f'{item.reason}{" · " + item.note if item.note else ""}').classes('text-slate-800')
                    ui.label(f'Asked by {item.requested_by}, {forms.date_time(item.requested_at)}') \
                        .classes(theme.MUTED)
                ui.label(forms.money(item.amount, item.currency)).classes('text-lg font-semibold tabular-nums')
                if admin and not item.mine:
                    ui.button('Approve', on_click=lambda i=item: _decide(actor, i, approve=True)) \
                        .props('unelevated no-caps').mark('approve')
                    ui.button('Decline', on_click=lambda i=item: _decide(actor, i, approve=False)) \
                        .props('outline no-caps').mark('decline')
                elif item.mine:
                    ui.label('Yours: another admin approves it').classes(theme.MUTED)


def _decide(actor, item: adjustments.ApprovalItem, *, approve: bool) -> None:  # noqa: ANN001
    amount = forms.money(item.amount, item.currency)
    with dialogs.dialog('Approve the adjustment' if approve else 'Decline the adjustment') as dialog:
        ui.label(f'{amount} off {item.guarantor}\'s account ({item.reason}).').classes('text-slate-800')
        error = forms.error_message()
        note = None if approve else forms.field('Why (optional)', max_length=200, mark='decline-note')

        @OneAtATime
        async def submit() -> None:
            forms.set_error(error, '')
            try:
                if approve:
                    message = await write(adjustments.approve, actor=actor, request_id=item.id)
                else:
                    message = await write(adjustments.decline, actor=actor, request_id=item.id,
                                          note=note.value or '' if note else '')
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.notify(message)
            ui.navigate.reload()

        submit.disables(dialogs.actions(dialog, 'Approve' if approve else 'Decline', submit, danger=not approve))
    dialog.open()
