"""One conversation with the billing office (a question about a charge): read it and reply."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import forms, page, session, theme
from components.calls import write
from portal.errors import DomainError
from portal.models import ThreadStatus
from portal.services import charge_questions
from portal.services.charge_questions import ThreadView


def register() -> None:
    @ui.page('/messages/{thread_id}', response_timeout=60)
    async def thread_page(thread_id: str) -> None:
        await page.show('Message', path='/messages', draw=_thread,
                        load=lambda actor: write(charge_questions.find_thread, actor=actor,
                                                 thread_id=page.id_of(thread_id)))


def _thread(thread: ThreadView) -> None:
    back = (f'<p><a class="{theme.LINK}" href="/statements/{thread.statement_id}">Back to the statement</a></p>'
            if thread.statement_id else '')
    ui.html(f'<h1 class="{theme.H1}">{escape(thread.subject)}</h1>'
            + (f'<p class="{theme.MUTED}">{escape(thread.charge_label)}</p>' if thread.charge_label else '')
            + f'<p class="{theme.MUTED}">{"Closed" if thread.status == ThreadStatus.resolved else "Open"}</p>{back}',
            sanitize=False).classes('w-full')
    items = ''.join(
        f'<li class="{theme.CARD} {"bg-teal-50" if message.author == "You" else ""}">'
        f'<p class="text-sm font-semibold text-slate-700">{escape(message.author)} · '
        f'{escape(forms.appointment_time(message.at))}</p>'
        f'<p class="text-slate-900 whitespace-pre-line break-words">{escape(message.body)}</p></li>'
        for message in thread.messages)
    ui.html(f'<ol class="flex flex-col gap-3" aria-label="Messages">{items}</ol>', sanitize=False) \
        .classes('w-full').mark('messages')
    if thread.status == ThreadStatus.resolved:
        return
    with ui.column().classes(theme.CARD + ' gap-2'):
        body = ui.textarea('Your reply').props(f'outlined maxlength={charge_questions.MAX_BODY}').classes('w-full') \
            .mark('reply-body')
        error = forms.error_message()

        async def send() -> None:
            forms.set_error(error, '')
            try:
                await write(charge_questions.reply, actor=session.actor(), thread_id=thread.id, body=body.value)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            ui.navigate.reload()

        ui.button('Send reply', on_click=send).props('unelevated no-caps').mark('reply-submit')
