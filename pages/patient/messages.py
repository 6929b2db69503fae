"""One conversation with the billing office (a question about a charge): read it and reply."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import forms, session, theme
from components.calls import write
from components.frame import frame
from pages.patient.statements import LINK
from pages.urls import not_found_response, parse_id
from portal.models import ThreadStatus
from portal.services import charge_questions
from portal.services.charge_questions import ThreadView
from portal.services.errors import DomainError


def register() -> None:
    @ui.page('/messages/{thread_id}', response_timeout=60)
    async def thread_page(thread_id: str):  # noqa: ANN202  (a page, or a 404 response)
        auth = session.current_auth()
        assert auth is not None
        wanted = parse_id(thread_id)
        if wanted is None:
            return not_found_response()
        thread = await write(charge_questions.find_thread, actor=session.actor(), thread_id=wanted)
        if thread is None:
            return not_found_response()
        with frame('Message', auth=auth, path='/messages'):
            _thread(thread)
        return None


def _thread(thread: ThreadView) -> None:
    back = (f'<p><a class="{LINK}" href="/statements/{thread.statement_id}">Back to the statement</a></p>'
            if thread.statement_id else '')
    ui.html(f'<h1 class="{theme.H1}">{escape(thread.subject)}</h1>'
            + (f'<p class="{theme.MUTED}">{escape(thread.charge_label)}</p>' if thread.charge_label else '')
            + f'<p class="{theme.MUTED}">{"Open" if thread.status == ThreadStatus.open else "Closed"}</p>{back}',
            sanitize=False).classes('w-full')
    items = ''.join(
        f'<li class="{theme.CARD} {"bg-teal-50" if message.author == "You" else ""}">'
        f'<p class="text-sm font-semibold text-slate-700">{escape(message.author)} · '
        f'{escape(forms.appointment_time(message.at))}</p>'
        f'<p class="text-slate-900 whitespace-pre-line break-words">{escape(message.body)}</p></li>'
        for message in thread.messages)
    ui.html(f'<ol class="flex flex-col gap-3" aria-label="Messages">{items}</ol>', sanitize=False) \
        .classes('w-full').mark('messages')
    if thread.status != ThreadStatus.open:
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
