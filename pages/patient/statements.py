"""Statements: the list (newest first, paid / due / overdue) and one statement itemized by visit.

Phone first: stacked cards and label/amount rows instead of wide tables, so nothing scrolls
sideways at 390 px; the amount due and the Pay button come first. Static text is drawn as a few
escaped HTML blocks; only the buttons are elements of their own.
"""
from __future__ import annotations

from html import escape
from uuid import uuid4

from nicegui import ui

from components import chips, dialogs, forms, page, session, theme, uploads
from components.activity import since_html
from components.calls import call, write
from portal.errors import DomainError
from portal.models import ThreadCategory
from portal.services import payment_history, statements
from portal.services.messaging import compose, safety
from portal.services.statements import ChargeLine, StatementDetail, StatementSummary, Visit


def register() -> None:
    @ui.page('/statements', response_timeout=60)
    async def statement_list() -> None:
        async def load(actor):  # noqa: ANN001, ANN202
            return (await write(statements.list_statements, actor=actor),
                    await call(payment_history.load_activity_since, actor=actor))
        await page.show('Statements', path='/statements', draw=_list, load=load)

    @ui.page('/statements/{statement_id}', response_timeout=60)
    async def statement_page(statement_id: str) -> None:
        await page.show('Statement', path='/statements', draw=_detail,
                        load=lambda actor: write(statements.find_statement_detail, actor=actor,
                                                 statement_id=page.id_of(statement_id)))


def _html(html: str) -> ui.html:
    return ui.html(html, sanitize=False).classes('w-full')


def _list(loaded: tuple[list[StatementSummary], list[payment_history.SinceStatement]]) -> None:
    items, since = loaded
    _html(f'<h1 class="{theme.H1}">Statements</h1>')
    lines = ''.join(since_html(item, several=len(since) > 1) for item in since)
    if lines:
        _html(f'<section class="{theme.CARD} max-w-3xl flex flex-col gap-1">{lines}</section>')
    if not items:
        _html(f'<section class="{theme.CARD}"><p class="text-slate-700">You have no statements yet. '
              'We send one when there is something to pay.</p></section>')
    with ui.column().classes('w-full max-w-3xl gap-3'):
        for item in items:
            _list_item(item, several=len({i.account_number for i in items}) > 1)


def _list_item(item: StatementSummary, *, several: bool) -> None:
    account = f' · account {escape(item.account_number)}' if several else ''
    due = 'Paid' if item.status == 'paid' else f'Due {forms.long_date(item.due_date)}'
    html = (f'<a href="/statements/{item.id}" class="no-underline text-inherit block {theme.CARD} '
            f'hover:border-teal-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-teal-800">'
            f'<div class="flex flex-wrap items-center justify-between gap-2">'
            f'<span class="text-base font-semibold text-slate-900">{forms.long_date(item.statement_date)}'
            f'{account}</span>{chips.status_html(item.status, chips.STATEMENT)}</div>'
            f'<div class="flex flex-wrap items-baseline justify-between gap-2 mt-1">'
            f'<span class="text-slate-700">{due}</span>'
            f'<span class="text-xl font-bold text-slate-900">{forms.money(item.amount_due, item.currency)}</span>'
            f'</div><span class="flex items-center gap-1 text-teal-800 text-sm font-medium mt-2">View statement'
            f'<i class="q-icon material-icons text-base" aria-hidden="true">chevron_right</i></span></a>')
    ui.html(html, sanitize=False).classes('w-full').mark('statement-row')


def _row(label: str, amount: str, *, strong: bool = False, note: str = '') -> str:
    weight = 'font-semibold text-slate-900' if strong else 'text-slate-800'
    extra = f'<span class="block {theme.MUTED}">{escape(note)}</span>' if note else ''
    return (f'<div class="flex flex-nowrap justify-between gap-3 py-1 {weight}"><span class="min-w-0">'
            f'{escape(label)}{extra}</span><span class="whitespace-nowrap shrink-0">{amount}</span></div>')


def _detail(detail: StatementDetail) -> None:
    with ui.column().classes('w-full max-w-3xl gap-4'):  # label and amount stay within reach on laptops
        _detail_sections(detail)


def _detail_sections(detail: StatementDetail) -> None:
    summary, money = detail.summary, lambda amount: forms.money(amount, detail.summary.currency)
    _html(f'<h1 class="{theme.H1}">Statement of {forms.long_date(summary.statement_date)}</h1>'
          f'<p class="{theme.MUTED}">Account {escape(summary.account_number)} · {escape(detail.guarantor_name)}</p>')
    with ui.element('section').classes(theme.CARD + ' flex flex-col gap-2').props('aria-label="Amount due"'):
        status = 'Paid — thank you' if summary.status == 'paid' else f'Due by {forms.long_date(summary.due_date)}'
        _html(f'<div class="flex items-center gap-2"><h2 class="text-base font-medium text-slate-700">Amount due</h2>'
              f'{chips.status_html(summary.status, chips.STATEMENT)}</div>'
              f'<p data-testid="amount-due" class="text-4xl font-bold text-slate-900 '
              f'tracking-tight">{money(summary.amount_due)}</p><p class="text-slate-700">{status}</p>')
        if summary.on_plan:
            _html(f'<p class="{theme.MUTED}" data-testid="plan-note">You are on a payment plan: this is your next '
                  f'payment. This statement\'s new balance is {money(detail.totals.new_balance)}; <a '
                  f'class="{theme.LINK}" href="/plans">your plan</a> shows what is left to pay.</p>')
        elif summary.status != 'paid' and summary.amount_due != _issued_due(detail):
            _html(f'<p class="{theme.MUTED}" data-testid="left-note">What is left to pay on this statement: it asked '
                  f'for {money(_issued_due(detail))}, less what you paid since and anything not due yet.</p>')
        with ui.element('div').classes('w-full flex flex-col sm:flex-row gap-2'):
            if summary.status != 'paid':
                ui.button('Pay now', icon='payments') \
                    .props(f'unelevated no-caps size=lg href="/pay?statement={summary.id}"') \
                    .classes('w-full sm:w-auto text-base').mark('pay')
            ui.button('Download PDF', icon='picture_as_pdf') \
                .props(f'outline no-caps size=lg href="/documents/statements/{summary.id}.pdf" target=_blank') \
                .classes('w-full sm:w-auto text-base').mark('pdf')
    _summary(detail, money)
    for visit in detail.visits:
        _visit(detail, visit, money)
    if detail.earlier:
        _html(f'<h2 class="{theme.H2} mt-2" data-testid="still-open">{escape(detail.still_open_title)}</h2>'
              f'<p class="{theme.MUTED}">Charges billed before and not paid by this statement\'s date: your '
              'previous balance, visit by visit.</p>')
        for visit in detail.earlier:
            _visit(detail, visit, money, still_open=True)
    _credits(detail, money)
    _next_steps(detail)


def _summary(detail: StatementDetail, money) -> None:  # noqa: ANN001
    totals = detail.totals
    since = (f' since {forms.long_date(detail.previous_statement_date)}' if detail.previous_statement_date else '')
    rows = [_row('Previous balance', money(totals.previous_balance)),
            _row('New charges', money(totals.new_charges))]
    if totals.refunds:
        rows.append(_row('Refunds to you', money(totals.refunds)))
    rows += [_row('Paid by insurance', money(-totals.insurance_payments)),
             _row('Adjustments', money(-totals.adjustments), note='Discounts and write-offs: you do not owe these.'),
             _row(f'Your payments{since}', money(-totals.patient_payments)),
             '<hr class="my-1 border-slate-200">', _row('New balance', money(totals.new_balance), strong=True)]
    if detail.summary.waiting_for_insurance:  # new balance - waiting for insurance = amount due
        rows += [_row('Waiting for insurance', money(-detail.summary.waiting_for_insurance),
                      note='Not due until your insurance pays its part.'),
                 _row(detail.after_insurance_label, money(_issued_due(detail)), strong=True)]
    _html(f'<section class="{theme.CARD}" aria-label="Summary"><h2 class="{theme.H2} mb-1">Summary</h2>'
          + ''.join(rows) + '</section>')


def _issued_due(detail: StatementDetail) -> int:
    """What the statement asked for when issued, before any plan: new balance - waiting for insurance."""
    return detail.totals.new_balance - detail.summary.waiting_for_insurance


def _visit(detail: StatementDetail, visit: Visit, money, *, still_open: bool = False) -> None:  # noqa: ANN001
    with ui.element('section').classes(theme.CARD + ' flex flex-col gap-3') \
            .props(f'aria-label="Visit on {forms.long_date(visit.date_of_service)}"'):
        every_line_earlier = all(line.billed_earlier for line in visit.lines) and not still_open
        earlier = (f'<p class="text-sm text-slate-700 bg-slate-50 rounded px-2 py-1 mt-1">{_earlier(detail)}</p>'
                   if every_line_earlier else '')
        held = visit.insurance_pending and detail.summary.waiting_for_insurance > 0
        if visit.insurance_pending:
            earlier += (f'<p class="text-sm text-sky-900 bg-sky-50 rounded px-2 py-1 mt-1" '
                        f'data-testid="insurance-pending">'
                        f'{ANSWERED if visit.answered_since else PENDING_HELD if held else PENDING}</p>')
        _html(f'<h2 class="{theme.H2}">Visit on {forms.long_date(visit.date_of_service)}</h2>'
              f'<p class="text-slate-800">{escape(visit.patient_name)}</p>'
              f'<p class="{theme.MUTED}">{escape(visit.provider_name)} · {escape(visit.location_name)}</p>'
              f'{_insurance(visit)}{earlier}')
        for line in visit.lines:
            _charge(detail, line, money, note_earlier=not every_line_earlier and not still_open, held=held)


def _insurance(visit: Visit) -> str:
    """The payers billed for the visit, linking to its claim explained."""
    if visit.claim_id is None:
        return ''
    payers = escape(' and '.join(visit.payer_names) or 'your insurance')
    return (f'<p class="text-sm text-slate-800">Billed to {payers} · <a class="{theme.LINK}" '
            f'data-testid="claim-link" href="/claims/{visit.claim_id}">See the insurance claim</a></p>')


PENDING = 'Your insurance is still processing this visit. What you owe may go down once it pays.'
PENDING_HELD = ('Your insurance is still processing this visit. You do not owe this yet: what is left after '
                'insurance pays will be on your next statement.')
ANSWERED = ('Your insurance was still processing this visit when this statement was issued, and it has answered '
            'since: what you owe for it will be on your next statement.')
EARLIER = 'Billed on an earlier statement; shown again for what insurance has done since.'
BEFORE = 'Charged before this statement\'s period; shown for what insurance has done since.'  # a first statement


def _earlier(detail: StatementDetail) -> str:
    """How a line billed before this statement is introduced: an account's first statement has no earlier one."""
    return EARLIER if detail.previous_statement_date else BEFORE


def _charge(detail: StatementDetail, line: ChargeLine, money, *, note_earlier: bool,  # noqa: ANN001
            held: bool = False) -> None:
    """One charge line; `held`: its visit is still with insurance and the practice holds such charges out of
    what is due, so its open amount reads "Waiting for insurance", not "You owe"."""
    notes = ''.join(f'<li class="py-0.5"><span class="font-medium">{escape(item.code)} · {money(item.amount)}</span>'
                    f' — {escape(item.meaning)}</li>' for item in line.adjustments)
    shares = ''.join(f'<li class="py-0.5"><span class="font-medium">{money(item.amount)}</span> — '
                     f'{escape(item.meaning)}</li>' for item in line.your_share)
    earlier = (f'<p class="{theme.MUTED}">{_earlier(detail)}</p>' if line.billed_earlier and note_earlier
               else '')
    units = f' (×{line.units})' if line.units > 1 else ''
    why = (f'<p class="text-sm text-slate-700 mt-1">Your share of this charge, and why:</p>'
           f'<ul class="text-sm text-slate-700 pl-3 border-l-2 border-slate-200">{shares}</ul>' if shares else '')
    with ui.element('div').classes('w-full border-t border-slate-200 pt-3 flex flex-col gap-1') \
            .mark(f'charge-{line.charge_id}'):
        _html(f'<p class="font-medium text-slate-900">{escape(line.description)}{units}</p>'
              f'<p class="{theme.MUTED}">Code {escape(line.code)}</p>{earlier}'
              + _row('Amount billed', money(line.billed)) + _row('Insurance paid', money(line.insurance_paid))
              + (f'<ul class="text-sm text-slate-700 pl-3 border-l-2 border-slate-200">{notes}</ul>' if notes else '')
              + (_row('You paid', money(line.paid_by_you)) if line.paid_by_you else '')
              + (_row('Waiting for insurance', money(line.patient_owes)) if held
                 else _row('You owe', money(line.patient_owes), strong=True)) + why)
        if line.question_thread_id:
            ui.link('Question open — see the conversation', f'/messages/{line.question_thread_id}') \
                .classes(theme.LINK + ' py-2').mark(f'question-open-{line.charge_id}')
        else:
            ui.button('Ask about this charge', icon='help_outline', on_click=lambda: _ask(detail, line)) \
                .props('flat no-caps dense').classes('self-start text-teal-800 py-1').mark(f'ask-{line.charge_id}')


def _ask(detail: StatementDetail, line: ChargeLine) -> None:
    with dialogs.dialog('Ask about this charge') as dialog:
        ui.label(f'{line.description} · Code {line.code}').classes('text-slate-700')
        kind = ui.radio({ThreadCategory.billing_question: 'I have a question',
                         ThreadCategory.dispute_charge: 'I think this charge is wrong'},
                        value=ThreadCategory.billing_question).mark('question-kind')
        required = {'Write your question first.': lambda value: bool((value or '').strip())}
        body = ui.textarea('Your question', validation=required) \
            .props(f'outlined maxlength={safety.MAX_BODY} counter lazy-rules=ondemand').classes('w-full') \
            .mark('question-body')
        picker = uploads.AttachmentPicker()  # an Explanation of Benefits, a receipt: as on a message thread
        error = forms.error_message()
        key = uuid4().hex  # one question per dialog: a double click or a retry posts it once

        async def send() -> None:
            forms.set_error(error, '')
            if not body.validate():
                return
            try:
                thread_id = await write(compose.ask_about_charge, actor=session.actor(),
                                        statement_id=detail.summary.id, charge_id=line.charge_id,
                                        body=body.value, category=kind.value, idempotency_key=key,
                                        files=picker.files_to_send())
            except DomainError as failure:
                forms.set_error(error, failure.message)
                return
            dialog.close()
            ui.navigate.to(f'/messages/{thread_id}')

        dialogs.actions(dialog, 'Send', send, mark='question-submit')
    dialog.open()


def _credits(detail: StatementDetail, money) -> None:  # noqa: ANN001
    if not detail.credits:
        return
    rows = ''.join(_row(f'{credit.description}', money(credit.amount), note=forms.long_date(credit.on))
                   for credit in detail.credits)
    _html(f'<section class="{theme.CARD}" aria-label="Payments and credits"><h2 class="{theme.H2} mb-1">'
          f'Payments and credits</h2><p class="{theme.MUTED}">{CREDITS_NOTE}</p>{rows}</section>')


CREDITS_NOTE = 'A payment is applied to the charges you owe, oldest first: each line above shows what was left.'


def _next_steps(detail: StatementDetail) -> None:
    phone = escape(detail.practice.phone) if detail.practice else ''
    pay = (f'<li><a class="{theme.LINK}" href="/pay?statement={detail.summary.id}">Pay this statement</a></li>'
           if detail.summary.status != 'paid' else '')
    plan = (f'<li><a class="{theme.LINK}" href="/plans" data-testid="view-plan">View your plan</a>: what is paid and '
            'what comes next.</li>' if detail.plan else
            f'<li><a class="{theme.LINK}" href="/plans">Set up a payment plan</a> if paying all at once is hard.</li>')
    _html(f'<section class="{theme.CARD}" aria-label="Next steps"><h2 class="{theme.H2} mb-1">Next steps</h2>'
          f'<ul class="flex flex-col gap-2 text-base">{pay}{plan}'
          f'<li>Not sure about a charge? Use “Ask about this charge” under it, or call {phone}.</li></ul></section>')
