"""/staff/messages: the queue (quick filters with counts, category and status, oldest waiting first, pages)
and /staff/messages/{id}: one thread beside the account (side by side on a laptop, stacked on a phone) with
reply, internal note, saved replies, assign, status and move. Both refresh live (`components.live.watch`)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import urlencode
from uuid import uuid4

from nicegui import ui

from components import account_context, chips, forms, live, page, session, theme, uploads
from components.calls import write
from portal.errors import DomainError
from portal.models.messaging import CATEGORY_LABELS, ThreadStatus
from portal.services.messaging import safety, saved_replies, staff_context, staff_queue, staff_threads
from portal.services.messaging.staff_queue import VIEW_LABELS, QueuePage, View

STATUS = {'open': ('Open', 'warn'), 'waiting_on_patient': ('Waiting on patient', 'info'),
          'resolved': ('Resolved', 'good')}


def register() -> None:
    @ui.page('/staff/messages', response_timeout=60)
    async def queue_page(view: str = 'open', category: str = '', status: str = '', page_number: str = '1') -> None:
        filters = {'view': view, 'category': category or None, 'status': status or None,
                   'page': page.parse_id(page_number) or 1}

        async def load(actor):  # noqa: ANN001, ANN202
            try:
                return await write(staff_queue.staff_queue, actor=actor, **filters)
            except DomainError:  # a hand-edited filter: the plain queue instead of an error
                return await write(staff_queue.staff_queue, actor=actor)

        await page.show('Messages', path='/staff/messages', load=load, draw=lambda queue: _queue(queue, filters))

    @ui.page('/staff/messages/new', response_timeout=60)  # before /{thread_id}, which would take 'new'
    async def new_thread_page(account: str = '') -> None:
        await page.show('New message', path='/staff/messages', draw=_new_thread,
                        load=lambda actor: write(staff_context.account_context, actor=actor,
                                                 account_id=page.id_of(account)))

    @ui.page('/staff/messages/{thread_id}', response_timeout=60)
    async def thread_page(thread_id: str) -> None:
        async def load(actor):  # noqa: ANN001, ANN202
            view = await write(staff_threads.open_thread, actor=actor, thread_id=page.id_of(thread_id))
            return view, await write(saved_replies.saved_replies, actor=actor)

        await page.show('Message', path='/staff/messages', load=load, draw=lambda loaded: _thread(*loaded))


def _new_thread(context: staff_context.AccountContext) -> None:
    key = uuid4().hex
    ui.link('Back to the account', f'/staff/accounts/{context.account_id}').classes(theme.LINK + ' text-sm')
    with ui.grid().classes('w-full grid-cols-1 lg:grid-cols-3 gap-4 items-start'):
        with ui.column().classes(theme.CARD + ' lg:col-span-2 gap-3 min-w-0'):
            ui.label(f'Write to {context.guarantor}').classes(theme.H1).props('role=heading aria-level=1')
            ui.label('Everyone who can see this account can read it; they get an email saying a message is waiting '
                     '(never its words).').classes(theme.MUTED)
            category = ui.select({c.value: label for c, label in CATEGORY_LABELS.items()}, label='Category',
                                 value='billing_question').props('outlined').classes('w-full sm:w-80').mark('category')
            subject = forms.field('Subject', max_length=safety.MAX_SUBJECT, mark='subject').props('counter')
            body = ui.textarea('Message').props(f'outlined autogrow maxlength={safety.MAX_BODY} counter') \
                .classes('w-full').mark('body')
            error = forms.error_message().mark('new-error')

            async def send() -> None:
                forms.set_error(error, '')
                try:
                    thread_id = await write(staff_threads.start_thread, actor=session.actor(),
                                            account_id=context.account_id, category=category.value or '',
                                            subject=subject.value, body=body.value, idempotency_key=key)
                except DomainError as failure:
                    forms.set_error(error, failure.message)
                    return
                ui.navigate.to(f'/staff/messages/{thread_id}')

            ui.button('Send message', icon='send', on_click=send).props('unelevated no-caps').mark('new-submit')
        with ui.column().classes('gap-3 min-w-0'):
            account_context.panel(context)


def _link(view: str, category: str | None, status: str | None, number: int = 1) -> str:
    query = {key: value for key, value in (('view', view), ('category', category), ('status', status),
                                           ('page_number', str(number) if number > 1 else None)) if value}
    return '/staff/messages?' + urlencode(query)


def _queue(first: QueuePage, filters: dict) -> None:  # noqa: C901
    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.label('Messages').classes(theme.H1).props('role=heading aria-level=1')
        if session.current_auth().get('role') == 'admin':
            ui.link('Saved replies', '/staff/saved-replies').classes(theme.LINK).mark('saved-replies-link')

    @ui.refreshable
    def body(queue: QueuePage) -> None:
        current = queue.view.value
        tabs = []
        for view in View:
            chosen = view == queue.view
            style = 'bg-teal-700 text-white' if chosen else 'bg-white text-slate-800 border border-slate-300'
            tabs.append(f'<a href="{escape(_link(view.value, None, None))}" data-testid="view-{view.value}"'
                        f'{" aria-current=page" if chosen else ""} class="no-underline rounded-full px-3 py-2 '
                        f'text-sm {style}">{escape(VIEW_LABELS[view])} <b>{queue.counts.views[view]:,}</b></a>')
        ui.html(f'<nav aria-label="Filters" class="flex flex-wrap gap-2">{"".join(tabs)}</nav>',
                sanitize=False).classes('w-full')
        with ui.row().classes('w-full gap-2 items-center'):
            categories = {'': 'Every category', **{c.value: f'{label} ({queue.counts.categories[c]:,})'
                                                  for c, label in CATEGORY_LABELS.items()}}
            statuses = {'': 'Every open status' if queue.view != View.all else 'Every status',
                        **{s.value: f'{STATUS[s.value][0]} ({queue.counts.statuses[s]:,})' for s in ThreadStatus}}
            ui.select(categories, label='Category', value=queue.category.value if queue.category else '',
                      on_change=lambda e: ui.navigate.to(_link(current, e.value or None, filters['status']))) \
                .props('outlined dense').classes('w-64').mark('category')
            ui.select(statuses, label='Status', value=queue.status.value if queue.status else '',
                      on_change=lambda e: ui.navigate.to(_link(current, filters['category'], e.value or None))) \
                .props('outlined dense').classes('w-64').mark('status')
        if not queue.rows:
            ui.label('Nothing here. Every conversation in this view has been answered.') \
                .classes(theme.CARD + ' text-slate-700').mark('queue-empty')
            return
        items = []
        for row in queue.rows:
            flags = [chips.status_html(row.status.value, STATUS), chips.chip_html(row.category_label, 'neutral')]
            if row.overdue:
                flags.append(chips.chip_html('Past reply date', 'bad'))
            if row.unread:
                flags.append(chips.chip_html(f'{row.unread} new', 'brand'))
            waiting = forms.date_time(row.last_message_at)
            assigned = escape(row.assigned_to) if row.assigned_to else 'Unassigned'
            items.append(
                f'<li class="min-w-0"><a href="/staff/messages/{row.id}" data-testid="queue-row" '
                f'class="no-underline block {theme.CARD} hover:border-teal-600">'
                # w-0 min-w-full: as wide as the card, never wider (a one-word subject would widen the page)
                f'<span class="flex flex-wrap items-center gap-2 w-0 min-w-full">'
                f'<span class="font-semibold text-slate-900 break-words min-w-0 max-w-full">{escape(row.subject)}'
                f'</span>{"".join(flags)}</span>'
                f'<span class="block text-sm text-slate-700 break-words min-w-0">'
                f'{escape(row.guarantor)} · {escape(row.account_number)}'
                f' · last message {escape(waiting)} · {assigned}</span></a></li>')
        ui.html(f'<ol class="flex flex-col gap-2" aria-label="Conversations">{"".join(items)}</ol>',
                sanitize=False).classes('w-full').mark('queue')
        pager = []
        if queue.page > 1:
            pager.append(f'<a class="{theme.LINK}" href="{escape(_link(current, filters["category"], filters["status"], queue.page - 1))}">Newer</a>')  # noqa: E501
        pager.append(f'<span class="{theme.MUTED}">Page {queue.page} of {queue.pages} · {queue.total:,} conversations'
                     '</span>')
        if queue.page < queue.pages:
            pager.append(f'<a class="{theme.LINK}" data-testid="next-page" href="{escape(_link(current, filters["category"], filters["status"], queue.page + 1))}">Older</a>')  # noqa: E501
        ui.html(f'<nav aria-label="Pages" class="flex gap-4 items-center">{"".join(pager)}</nav>', sanitize=False)

    body(first)

    async def refresh() -> None:
        try:
            body.refresh(await write(staff_queue.staff_queue, actor=session.actor(), view=first.view.value,
                                     category=filters['category'], status=filters['status'], page=first.page))
        except DomainError:
            pass

    live.watch(['staff-queue'], refresh)


NOTE_CLASSES = 'w-full rounded-xl border-2 border-dashed border-amber-400 bg-amber-50 p-4 flex flex-col gap-2'


def _message_html(message: staff_threads.StaffMessage) -> str:
    when = escape(forms.date_time(message.at))
    if message.internal_note:
        return (f'<p class="text-sm font-semibold text-amber-900"><i class="q-icon material-icons" aria-hidden="true">'
                f'lock</i> Internal note · {escape(message.author)} · {when} · the patient never sees this</p>'
                f'<p class="text-slate-900 whitespace-pre-line break-words">{escape(message.body)}</p>')
    return (f'<p class="text-sm font-semibold text-slate-700">{escape(message.author)}'
            f'{"" if message.from_patient else " (office)"} · {when}</p>'
            f'<p class="text-slate-900 whitespace-pre-line break-words">{escape(message.body)}</p>')


def _messages(view: staff_threads.StaffThreadView) -> None:
    """The conversation, oldest first: messages as text (never HTML) with their attachments; internal
    notes drawn visibly apart."""
    with ui.element('ol').classes('w-full flex flex-col gap-3').props('aria-label="Messages"').mark('messages'):
        for message in view.messages:
            tone = 'bg-white' if message.from_patient else 'bg-teal-50'
            classes = NOTE_CLASSES if message.internal_note else f'{theme.CARD} {tone} flex flex-col gap-2'
            with ui.element('li').classes(classes).props(
                    f'data-testid="{"internal-note" if message.internal_note else "message"}"'):
                ui.html(_message_html(message), sanitize=False)
                uploads.attachment_list(list(message.files))


def _drawn(view: staff_threads.StaffThreadView) -> tuple:
    """What the conversation shows: a refresh that finds the same redraws nothing."""
    return view.messages, view.status, view.assigned_to, view.subject


def _thread(first: staff_threads.StaffThreadView, replies: tuple[saved_replies.SavedReplyView, ...]) -> None:
    thread_id = first.id
    drawn = [_drawn(first)]

    async def refresh() -> None:
        view = await write(staff_threads.open_thread, actor=session.actor(), thread_id=thread_id, opening=False)
        if view is None:  # the page is closing
            return
        if _drawn(view) != drawn[0]:  # redraw only what changed: pictures are not fetched (and audited) again
            drawn[0] = _drawn(view)
            conversation.refresh(view)
        context.refresh(view)
        follow_actions(view)

    @ui.refreshable
    def conversation(view: staff_threads.StaffThreadView) -> None:
        assignee = f'Assigned to {view.assigned_to}' if view.assigned_to else 'Unassigned'
        ui.html(f'<h1 class="{theme.H1}">{escape(view.subject)}</h1><p class="flex flex-wrap gap-2 mt-1">'
                f'{chips.status_html(view.status.value, STATUS, test_id="thread-status")}'
                f'{chips.chip_html(view.category_label, "neutral")}'
                f'{chips.chip_html(assignee, "brand", test_id="assignee")}</p>', sanitize=False).classes('w-full')
        _messages(view)

    @ui.refreshable
    def context(view: staff_threads.StaffThreadView) -> None:
        account_context.panel(view.context)

    ui.link('Back to the queue', '/staff/messages').classes(theme.LINK + ' text-sm')
    # a laptop: the thread in two columns beside the account; a phone: stacked, the thread first
    with ui.grid().classes('w-full grid-cols-1 lg:grid-cols-3 gap-4 items-start'):
        with ui.column().classes('lg:col-span-2 gap-3 min-w-0'):
            conversation(first)
            _compose(first, replies, refresh)
            follow_actions = _actions(first, refresh)
        with ui.column().classes('gap-3 min-w-0'):
            context(first)
    live.watch([f'thread:{thread_id}'], refresh)


def _compose(view: staff_threads.StaffThreadView, replies: tuple[saved_replies.SavedReplyView, ...],
             after: Callable[[], Awaitable[None]]) -> None:
    thread_id = view.id
    keys = {'reply': uuid4().hex, 'note': uuid4().hex}
    with ui.column().classes(theme.CARD + ' gap-2'):
        ui.label('Reply to the patient').classes(theme.H2).props('role=heading aria-level=2')

        async def pick(event) -> None:  # noqa: ANN001
            if not event.value:
                return
            try:
                reply.value = await write(saved_replies.fill, actor=session.actor(), reply_id=int(event.value),
                                          thread_id=thread_id)
            except DomainError as failure:
                forms.set_error(error, failure.message)
            picker.value = None

        choices = {choice.id: choice.title for choice in replies}
        picker = ui.select(choices, label='Insert a saved reply', on_change=pick).props('outlined dense clearable') \
            .classes('w-full sm:w-80').mark('saved-reply')
        if not choices:
            picker.props('disable')
        reply = ui.textarea('Reply').props(f'outlined maxlength={safety.MAX_BODY} counter autogrow') \
            .classes('w-full').mark('reply-body')
        attach = uploads.AttachmentPicker()
        error = forms.error_message().mark('reply-error')

        async def send() -> None:
            forms.set_error(error, '')
            try:
                await write(staff_threads.reply, actor=session.actor(), thread_id=thread_id, body=reply.value,
                            idempotency_key=keys['reply'], files=attach.files_to_send())
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            keys['reply'], reply.value = uuid4().hex, ''
            attach.clear()
            await after()

        ui.button('Send reply', icon='send', on_click=send).props('unelevated no-caps').mark('reply-submit')
    with ui.column().classes('w-full rounded-xl border-2 border-dashed border-amber-400 bg-amber-50 p-4 gap-2'):
        ui.label('Internal note (staff only)').classes(theme.H2).props('role=heading aria-level=2')
        note = ui.textarea('Note').props(f'outlined maxlength={safety.MAX_BODY} counter autogrow bg-color=white') \
            .classes('w-full').mark('note-body')
        note_error = forms.error_message().mark('note-error')

        async def add() -> None:
            forms.set_error(note_error, '')
            try:
                await write(staff_threads.add_note, actor=session.actor(), thread_id=thread_id, body=note.value,
                            idempotency_key=keys['note'])
            except DomainError as failure:
                forms.set_error(note_error, failure.message)
                return
            keys['note'], note.value = uuid4().hex, ''
            await after()

        ui.button('Add note', icon='lock', on_click=add).props('outline no-caps color=brown-9').mark('note-submit')


def _actions(view: staff_threads.StaffThreadView, after: Callable[[], Awaitable[None]]
             ) -> Callable[[staff_threads.StaffThreadView], None]:
    """Assign, status and move; returns what keeps the assignee and status choices on the thread's latest
    (a reply moves the status; a colleague may assign it meanwhile)."""
    thread_id = view.id
    me = session.actor().user_id
    with ui.column().classes(theme.CARD + ' gap-3'):
        ui.label('Assign, status and account').classes(theme.H2).props('role=heading aria-level=2')
        error = forms.error_message().mark('action-error')
        done = ui.label('').classes('text-green-800').props('role=status').mark('action-done')

        async def run(function, message: str, **values) -> bool:  # noqa: ANN001, ANN003
            forms.set_error(error, '')
            done.text = ''
            try:
                await write(function, actor=session.actor(), thread_id=thread_id, **values)
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return False
            done.text = message
            await after()
            return True

        with ui.row().classes('w-full items-center gap-2'):
            colleagues = {c.id: c.name for c in view.colleagues}
            who = ui.select({0: 'Nobody', **colleagues}, label='Assigned to',
                            value=view.assigned_to_user_id or 0).props('outlined dense').classes('w-56') \
                .mark('assignee')
            ui.button('Assign', on_click=lambda: run(staff_threads.assign, 'Assigned.',
                                                     assignee_user_id=who.value or None)) \
                .props('outline no-caps').mark('assign')
            ui.button('Assign to me', on_click=lambda: run(staff_threads.assign, 'Assigned to you.',
                                                           assignee_user_id=me)) \
                .props('flat no-caps').mark('assign-me')
        with ui.row().classes('w-full items-start gap-2'):
            status = ui.select({s.value: label for s, label in staff_threads.STATUS_CHOICES.items()}, label='Status',
                               value=view.status.value).props('outlined dense').classes('w-56').mark('status')
            ui.button('Set status', on_click=lambda: run(staff_threads.set_status, 'Status saved.', status=status.value,
                                                         note=resolution.value or '')) \
                .props('outline no-caps').mark('set-status')
        resolution = ui.textarea('How the dispute was resolved (kept as a note)').props('outlined autogrow') \
            .classes('w-full').mark('resolution-note')
        resolution.set_visibility(view.is_billing_dispute)
        if view.move_targets:
            with ui.row().classes('w-full items-center gap-2'):
                target = ui.select(dict(view.move_targets), label='Move to account').props('outlined dense') \
                    .classes('w-72').mark('move-target')
                ui.button('Move', on_click=lambda: run(staff_threads.move, 'Moved.', account_id=target.value or 0)) \
                    .props('outline no-caps').mark('move')
        else:
            ui.label('The patient can see no other account to move this to.').classes(theme.MUTED)

    def follow(latest: staff_threads.StaffThreadView) -> None:
        who.value = latest.assigned_to_user_id or 0
        status.value = latest.status.value

    return follow
