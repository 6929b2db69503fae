"""One conversation with the billing office at /messages/{id}: the messages (plain text, never HTML; never
an internal note), a reply box with up to 5 attachments (each message shows its files), and "Mark as resolved".
New messages and status changes appear live; what the page shows counts as read."""
from __future__ import annotations

from html import escape
from uuid import uuid4

from nicegui import ui

from components import chips, forms, live, page, session, theme, uploads
from components.calls import write
from portal.errors import DomainError
from portal.models import ThreadStatus
from portal.services.messaging import compose, safety
from portal.services.messaging.compose import ConversationView
from portal.services.messaging.threads import MessageView


def register() -> None:
    @ui.page('/messages/{thread_id}', response_timeout=60)
    async def thread_page(thread_id: str) -> None:
        await page.show('Message', path='/messages', draw=_thread,
                        load=lambda actor: write(compose.find_thread, actor=actor, thread_id=page.id_of(thread_id)))


def _head_html(thread: ConversationView) -> str:
    about = ''
    if thread.link is not None:
        label = escape(thread.link.label)
        about = (f'<a class="{theme.LINK}" href="/statements/{thread.statement_id}">{label}</a>'
                 if thread.statement_id else label)
        about = f'<p class="text-slate-700">About: {about}</p>'
    promise = (f'<p class="text-slate-800" data-testid="expected-reply">Expected reply by '
               f'{forms.long_date(thread.expected_reply_by)}</p>' if thread.expected_reply_by else '')
    back = (f' · <a class="{theme.LINK}" href="/statements/{thread.statement_id}">Back to the statement</a>'
            if thread.statement_id else '')
    return (f'<p><a class="{theme.LINK}" href="/messages">All messages</a>{back}</p>'
            f'<h1 class="{theme.H1} break-words mt-2">{escape(thread.subject)}</h1>'
            f'<div class="flex flex-wrap items-center gap-2 my-1">{chips.chip_html(thread.category_label, "neutral")}'
            f'{chips.status_html(thread.status, chips.THREAD, test_id="thread-status")}</div>{promise}{about}')


def _bubble_classes(message: MessageView) -> str:
    side = 'self-end bg-teal-50 border-teal-200' if message.mine else 'self-start bg-white border-slate-200'
    return f'rounded-xl border px-3 py-2 max-w-[90%] flex flex-col gap-2 {side}'


def _message_html(message: MessageView) -> str:
    return (f'<p class="text-sm font-semibold text-slate-700">{escape(message.author)} · '
            f'{escape(forms.appointment_time(message.at))}</p>'
            f'<p class="text-slate-900 whitespace-pre-line break-words">{escape(message.body)}</p>')


def _draw_messages(listing: ui.element, thread: ConversationView) -> None:
    """Each message as text (never HTML) with its attachments (pictures as thumbnails, others as links)."""
    listing.clear()
    with listing:
        for message in thread.messages:
            with ui.element('li').classes(_bubble_classes(message)):
                ui.html(_message_html(message), sanitize=False)
                uploads.attachment_list(list(message.files))


def _thread(thread: ConversationView) -> None:
    head = ui.html(_head_html(thread), sanitize=False).classes('w-full').mark('thread-head')
    listing = ui.element('ol').classes('w-full flex flex-col gap-3') \
        .props('aria-label="Messages" aria-live="polite"').mark('messages')
    _draw_messages(listing, thread)
    state = {'key': uuid4().hex, 'status': thread.status, 'messages': thread.messages}

    with ui.column().classes(theme.CARD + ' gap-2'):
        body = ui.textarea('Your reply').props(f'outlined autogrow maxlength={safety.MAX_BODY} counter') \
            .classes('w-full').mark('reply-body')
        picker = uploads.AttachmentPicker()
        error = forms.error_message()
        send_button = ui.button('Send', icon='send').props('unelevated no-caps size=lg') \
            .classes('w-full sm:w-auto sm:self-start').mark('reply-submit')
    resolved_note = ui.html('', sanitize=False).classes('w-full')
    resolve_button = ui.button('Mark as resolved', icon='task_alt').props('outline no-caps') \
        .classes('self-start').mark('resolve')

    def show_status(view: ConversationView) -> None:
        state['status'] = view.status
        resolved = view.status == ThreadStatus.resolved
        resolve_button.set_visibility(not resolved)
        resolved_note.set_content(f'<p class="{theme.MUTED}">This conversation is resolved. Writing again opens it.'
                                  '</p>' if resolved else '')

    def show(view: ConversationView) -> None:
        head.set_content(_head_html(view))
        if view.messages != state['messages']:  # redraw only what changed: pictures are not fetched again
            state['messages'] = view.messages
            _draw_messages(listing, view)
        show_status(view)

    async def refresh() -> None:
        view = await write(compose.find_thread, actor=session.actor(), thread_id=thread.id)
        if view is not None:
            show(view)

    async def send() -> None:
        forms.set_error(error, '')
        send_button.disable()  # one click, one message (the key covers a retry after a timeout)
        try:
            await write(compose.reply, actor=session.actor(), thread_id=thread.id, body=body.value,
                        idempotency_key=state['key'], files=picker.files_to_send())
        except DomainError as failure:
            forms.set_error(error, failure.message)
            return
        finally:
            send_button.enable()
        state['key'] = uuid4().hex
        body.value = ''
        picker.clear()
        await refresh()

    async def resolve() -> None:
        try:
            await write(compose.mark_resolved, actor=session.actor(), thread_id=thread.id)
        except DomainError as failure:
            forms.set_error(error, failure.message)
            return
        await refresh()

    send_button.on_click(send)
    resolve_button.on_click(resolve)
    show_status(thread)
    live.watch([f'thread:{thread.id}'], refresh)
