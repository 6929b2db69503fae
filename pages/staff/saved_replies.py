"""/staff/saved-replies (admins): the saved replies staff pick in a thread; add, edit and delete them.
Placeholders such as {balance} are filled with live figures when a reply is picked."""
from __future__ import annotations

from nicegui import ui

from components import dialogs, forms, page, session, theme
from components.calls import write
from portal.errors import DomainError
from portal.services.messaging import saved_replies
from portal.services.messaging.saved_replies import PLACEHOLDERS, SavedReplyView


def register() -> None:
    @ui.page('/staff/saved-replies', response_timeout=60)
    async def saved_replies_page() -> None:
        await page.show('Saved replies', path='/staff/messages', draw=_page,
                        load=lambda actor: write(saved_replies.manage, actor=actor))


def _page(first: tuple[SavedReplyView, ...]) -> None:
    ui.link('Back to messages', '/staff/messages').classes(theme.LINK + ' text-sm')
    ui.label('Saved replies').classes(theme.H1).props('role=heading aria-level=1')
    ui.label('Placeholders filled in when staff pick a reply: ' + ', '.join('{' + p + '}' for p in PLACEHOLDERS)) \
        .classes(theme.MUTED)

    @ui.refreshable
    def listing(rows: tuple[SavedReplyView, ...]) -> None:
        if not rows:
            ui.label('No saved replies yet.').classes('text-slate-700').mark('no-saved-replies')
        for row in rows:
            with ui.column().classes(theme.CARD + ' gap-1').mark('saved-reply-row'):
                ui.label(row.title).classes('font-semibold text-slate-900')
                ui.label(row.body).classes('text-slate-800 whitespace-pre-line break-words')
                with ui.row().classes('gap-2'):
                    ui.button('Edit', on_click=lambda r=row: editor(r)).props('flat no-caps dense') \
                        .mark(f'edit-{row.id}')
                    ui.button('Delete', on_click=lambda r=row: remove(r)).props('flat no-caps dense color=negative') \
                        .mark(f'delete-{row.id}')

    async def reload() -> None:
        listing.refresh(await write(saved_replies.manage, actor=session.actor()))

    async def remove(row: SavedReplyView) -> None:
        try:
            await write(saved_replies.delete, actor=session.actor(), reply_id=row.id)
        except DomainError:
            pass  # already deleted in another tab: the list below shows how things stand
        await reload()

    def editor(row: SavedReplyView | None) -> None:
        with dialogs.dialog('Edit saved reply' if row else 'New saved reply', width='max-w-lg') as dialog:
            title = forms.field('Title', max_length=saved_replies.MAX_TITLE, mark='reply-title')
            body = ui.textarea('Text').props('outlined autogrow maxlength=5000').classes('w-full').mark('reply-text')
            title.value, body.value = (row.title, row.body) if row else ('', '')
            error = forms.error_message().mark('reply-error')

            async def save() -> None:
                forms.set_error(error, '')
                try:
                    await write(saved_replies.save, actor=session.actor(), title=title.value, body=body.value,
                                reply_id=row.id if row else None)
                except DomainError as failure:
                    forms.set_error(error, failure.message)
                    return
                dialog.close()
                await reload()

            dialogs.actions(dialog, 'Save', save, mark='reply-save')
        dialog.open()

    ui.button('New saved reply', icon='add', on_click=lambda: editor(None)).props('unelevated no-caps') \
        .mark('new-saved-reply')
    listing(first)
