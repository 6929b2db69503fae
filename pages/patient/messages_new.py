"""A new message to the billing office at /messages/new: what it is about (category), a subject, the
message, and optionally one of the account's own charges, payments, claims or appointments. Someone with
several accounts picks the account first (?account=ID); ?link=claim:12 chooses what it is about."""
from __future__ import annotations

from uuid import uuid4

from nicegui import ui

from components import forms, page, session, theme, uploads
from components.calls import write
from portal.errors import DomainError
from portal.services.messaging import compose, safety
from portal.services.messaging.compose import ComposeView

NO_LINK = ''
KIND_NAMES = {'charge': 'Charge', 'payment': 'Payment', 'claim': 'Insurance claim', 'appointment': 'Appointment'}


def register() -> None:
    @ui.page('/messages/new', response_timeout=60)
    async def new_message_page(account: str = '', link: str = '') -> None:
        await page.show('New message', path='/messages', draw=lambda view: _form(view, link),
                        load=lambda actor: write(compose.compose_form, actor=actor,
                                                 account_id=page.optional_id(account)))


def _form(view: ComposeView, about: str = '') -> None:
    """`about` ('claim:12', from a claim's "Ask us" button) is chosen as the link when it is one of the
    account's own; anything else is ignored."""
    ui.html(f'<p><a class="{theme.LINK}" href="/messages">All messages</a></p>'
            f'<h1 class="{theme.H1} mt-2">New message</h1>'
            f'<p class="text-slate-700">The billing office answers within {view.reply_days} business '
            f'day{"s" if view.reply_days != 1 else ""}. For anything about your health, please call your '
            'care team instead.</p>', sanitize=False).classes('w-full')
    key = uuid4().hex  # this form posts once, however often Send is pressed
    with ui.column().classes(theme.CARD + ' gap-3'):
        if len(view.accounts) > 1:
            ui.select({choice.id: choice.label for choice in view.accounts}, value=view.account_id,
                      label='Which account is this about?',
                      on_change=lambda event: ui.navigate.to(f'/messages/new?account={event.value}')) \
                .props('outlined').classes('w-full').mark('account')
        category = ui.select(dict(view.categories), label='What is it about?').props('outlined') \
            .classes('w-full').mark('category')
        subject = ui.input('Subject').props(f'outlined hide-bottom-space maxlength={safety.MAX_SUBJECT} counter') \
            .classes('w-full').mark('subject')
        # hide-bottom-space: a long error (or the counter) grows the field instead of overlapping the next one
        body = ui.textarea('Your message') \
            .props(f'outlined hide-bottom-space autogrow maxlength={safety.MAX_BODY} counter') \
            .classes('w-full').mark('body')
        options = {NO_LINK: 'Nothing in particular'} | {
            link.value: f'{KIND_NAMES[link.kind]}: {link.label}' for link in view.links}
        link = ui.select(options, value=about if about in options else NO_LINK,
                         label='Is it about one of these? (optional)') \
            .props('outlined hide-bottom-space options-dense').classes('w-full').mark('link')
        picker = uploads.AttachmentPicker()
        error = forms.error_message()
        fields = {'category': category, 'subject': subject, 'body': body, 'link': link}

        async def send() -> None:
            forms.set_error(error, '')
            forms.clear_errors(fields)
            button.disable()
            try:
                thread_id = await write(compose.start_thread, actor=session.actor(), account_id=view.account_id,
                                        category=category.value or '', subject=subject.value, body=body.value,
                                        link=link.value or None, idempotency_key=key, files=picker.files_to_send())
            except DomainError as failure:
                forms.show_errors(fields, failure.field_errors)
                forms.set_error(error, failure.message)
                button.enable()
                return
            ui.navigate.to(f'/messages/{thread_id}')

        button = forms.submit_button('Send message', send)

