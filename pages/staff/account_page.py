"""The account page a clerk answers the phone with (/staff/accounts/{id}): who, what is due now and why,
the ledger in words with its running balance, statements, payments, plan, coverage and claims, messages,
notes, flags and holds, and the audit trail. The actions' dialogs are in pages/staff/desk_dialogs.py
(notes, holds, adjustments, corrections) and pages/staff/account_dialogs.py (refunds, cash and checks)."""
from __future__ import annotations

from html import escape

from nicegui import ui

from components import chips, forms, page, session, theme
from components.calls import write
from components.guards import OneAtATime
from pages.staff import desk_dialogs
from pages.staff.account_dialogs import offline_dialog, refund_dialog
from portal.errors import DomainError
from portal.services.desk import account as desk
from portal.services.desk import resend

# on a phone a wide table would scroll sideways (no keyboard access to that region): one card per row instead
PHONE_TABLE = 'flat dense wrap-cells :grid="window.innerWidth < 640"'
FLAG = 'w-full text-amber-900 bg-amber-50 border border-amber-200 rounded-lg px-3 py-2'


def register() -> None:
    @ui.page('/staff/accounts/{account_id}', response_timeout=60)
    async def account_page(account_id: str) -> None:
        await page.show('Account', path='/staff/accounts', draw=lambda view: _account(session.actor(), view),
                        load=lambda actor: write(desk.desk_account, actor=actor, account_id=page.id_of(account_id)))


NO_WRAP = frozenset({'date', 'service', 'amount', 'balance', 'born', 'at'})  # dates and money on one line


def _columns(*pairs: tuple[str, str], right: tuple[str, ...] = ()) -> list[dict]:
    return [{'name': name, 'label': label, 'field': name, 'align': 'right' if name in right else 'left',
             **({'classes': 'whitespace-nowrap'} if name in NO_WRAP else {})} for name, label in pairs]


def _card(title: str, mark: str) -> ui.column:
    column = ui.column().classes(theme.CARD + ' gap-2').mark(mark)
    with column:
        ui.label(title).classes(theme.H2).props('role=heading aria-level=2')
    return column


def _account(actor, view: desk.DeskAccount) -> None:  # noqa: ANN001
    detail = view.money
    money = lambda minor: forms.money(minor, detail.currency)  # noqa: E731
    ui.label(f'{detail.name} · {detail.account_number}').classes(theme.H1).props('role=heading aria-level=1')
    with ui.row().classes('w-full gap-2'):
        ui.button('Add a note', icon='edit_note', on_click=lambda: desk_dialogs.note_dialog(actor, detail.id)) \
            .props('outline no-caps').mark('add-note')
        ui.button('Flag or hold', icon='flag', on_click=lambda: desk_dialogs.flag_dialog(actor, detail.id)) \
            .props('outline no-caps').mark('add-flag')
        ui.button('Adjust or write off', icon='remove_circle_outline',
                  on_click=lambda: desk_dialogs.adjust_dialog(actor, detail.id, detail.balance, detail.currency)) \
            .props('outline no-caps').mark('adjust')
        ui.button('Correct a line', icon='rule', on_click=lambda: desk_dialogs.correct_dialog(actor, view)) \
            .props('outline no-caps').mark('correct')
        ui.button('Record cash or check', icon='add', on_click=lambda: offline_dialog(actor, detail.id)) \
            .props('outline no-caps').mark('record-offline')
        if any(p.refundable > 0 for p in detail.payments):
            ui.button('Refund a payment', icon='undo', on_click=lambda: refund_dialog(actor, detail)) \
                .props('outline no-caps').mark('refund')
        ui.link('Write to the patient', f'/staff/messages/new?account={detail.id}') \
            .classes(theme.LINK + ' self-center').mark('write-to-patient')
    for flag in view.flags:
        until = f' · until {forms.short_date(flag.expires_on)}' if flag.expires_on else ''
        with ui.row().classes(FLAG + ' items-center gap-2'):
            ui.label(f'{flag.kind}: {flag.reason}').classes('grow').mark('flag')
            ui.label(f'{flag.by}, {forms.date_time(flag.since)}{until}').classes('text-sm')
            ui.button('Clear', on_click=lambda f=flag: desk_dialogs.clear_flag(actor, detail.id, f.kind_value,
                                                                              f.reason)) \
                .props('flat dense no-caps').mark('clear-flag')
    _figures(view, money)
    with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
        _who(view)
        _due(view, money)
    if view.pending:
        with _card('Waiting for approval', 'pending'):
            for item in view.pending:
                ui.label(f'{money(item.amount)} · {item.reason} · asked by {item.requested_by}, '
                         f'{forms.date_time(item.requested_at)}').classes('text-slate-800')
            ui.link('Open the approval queue', '/staff/approvals').classes(theme.LINK)
    _ledger(view, money)
    with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
        _notes(view)
        _statements(view, money)
    _payments(view, money)
    with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4'):
        _insurance(view, money)
        _messages(view)
    _audit(view)


def _figures(view: desk.DeskAccount, money) -> None:  # noqa: ANN001
    detail = view.money
    figures = (('Balance', 'staff-balance', detail.balance, f'{money(detail.processing)} processing'),
               ('Due now', 'staff-due-now', view.home.amount_due, 'what the patient is asked to pay'),
               ('Waiting for insurance', 'staff-waiting', detail.waiting, 'on claims still pending: not asked yet'),
               ('Credit (refundable)', 'staff-credit', detail.credit, 'what the account holds for the patient'))
    with ui.row().classes('w-full gap-4'):
        for title, test_id, amount, note in figures:
            ui.html(f'<div class="{theme.CARD}"><p class="text-sm text-slate-700">{title}</p>'
                    f'<p data-testid="{test_id}" class="text-2xl font-bold">{money(amount)}</p>'
                    f'<p class="{theme.MUTED}">{note}</p></div>', sanitize=False).classes('w-full sm:w-52')


def _who(view: desk.DeskAccount) -> None:
    with _card('Guarantor and patients', 'who'):
        lines = [*view.address, view.phone or 'No phone on file', view.email or 'No email on file', *view.preferences]
        for line in lines:
            ui.label(line).classes('text-slate-800')
        if view.sign_ins:
            ui.label('Signs in: ' + ', '.join(view.sign_ins)).classes(theme.MUTED)
        rows = [{'id': p.id, 'name': p.name, 'born': forms.short_date(p.date_of_birth), 'mrn': p.mrn,
                 'relationship': p.relationship} for p in view.patients]
        ui.table(columns=_columns(('name', 'Patient'), ('born', 'Date of birth'), ('mrn', 'MRN'),
                                  ('relationship', 'Relationship')), rows=rows, row_key='id') \
            .classes('w-full').props(PHONE_TABLE).mark('patients')


def _due(view: desk.DeskAccount, money) -> None:  # noqa: ANN001
    with _card('Due now, and why', 'due'):
        for line in view.why:
            ui.label(line).classes('text-slate-800').mark('why')
        if view.home.plan is not None:
            ui.label(f'Plan: {money(view.home.plan.installment_amount)} a month, '
                     f'{money(view.home.plan.remaining)} left').classes(theme.MUTED).mark('plan')


def _ledger(view: desk.DeskAccount, money) -> None:  # noqa: ANN001
    with _card('Ledger', 'ledger-card'):
        rows = [{'id': line.id, 'date': forms.short_date(line.posted_on),
                 'service': forms.short_date(line.date_of_service) if line.date_of_service else '',
                 'patient': line.patient, 'kind': line.kind, 'what': line.what, 'provider': line.provider,
                 'amount': money(line.amount), 'balance': money(line.running_balance)}
                for line in reversed(view.ledger)]  # newest first: what the caller asks about
        ui.table(columns=_columns(('date', 'Posted'), ('service', 'Date of service'), ('patient', 'Patient'),
                                  ('kind', 'Kind'), ('what', 'What'), ('provider', 'Provider'), ('amount', 'Amount'),
                                  ('balance', 'Balance'), right=('amount', 'balance')),
                 rows=rows, row_key='id', pagination={'rowsPerPage': 25}) \
            .classes('w-full').props(PHONE_TABLE).mark('ledger')


def _notes(view: desk.DeskAccount) -> None:
    with _card('Notes (staff only)', 'notes'):
        if not view.notes:
            ui.label('No notes yet.').classes(theme.MUTED)
        for note in view.notes:
            with ui.column().classes('w-full gap-0 border-b border-slate-100 pb-2'):
                ui.label(f'{note.by} · {forms.date_time(note.at)}').classes(theme.MUTED)
                ui.label(note.body).classes('text-slate-900 whitespace-pre-line').mark('note')


def _statements(view: desk.DeskAccount, money) -> None:  # noqa: ANN001
    with _card('Statements', 'statements'):
        if not view.statements:
            ui.label('No statements yet.').classes(theme.MUTED)
        for statement in view.statements[:12]:
            chip = chips.status_html(statement.status, chips.STATEMENT)
            with ui.row().classes('w-full items-center gap-x-3 py-1').mark('statement'):
                ui.html(f'<span>{forms.short_date(statement.statement_date)}</span>'
                        f'<span class="tabular-nums ml-3">{money(statement.new_balance)}</span> {chip}', sanitize=False)
                ui.link('Open PDF', f'/documents/statements/{statement.id}.pdf', new_tab=True).classes(theme.LINK)
                _resend_button(statement.id)


def _resend_button(statement_id: int) -> None:
    """One email per click: a double click (or a second tap while it sends) sends nothing more."""
    @OneAtATime
    async def resend_it() -> None:
        await _resend(statement_id)
    resend_it.disables(ui.button('Resend', on_click=resend_it).props('flat dense no-caps').mark('resend'))


async def _resend(statement_id: int) -> None:
    try:
        message = await write(resend.resend_statement, actor=session.actor(), statement_id=statement_id)
    except DomainError as failure:
        ui.notify(failure.message, type='warning')
        return
    ui.notify(message)


def _payments(view: desk.DeskAccount, money) -> None:  # noqa: ANN001
    with _card('Payments and refunds', 'payments-card'):
        rows = [{'id': p.id, 'receipt': p.receipt_number, 'date': forms.short_date(p.received_on),
                 'method': p.method_label, 'amount': money(p.amount), 'status': chips.look(p.status, chips.PAYMENT)[0],
                 'chip': chips.status_html(p.status, chips.PAYMENT), 'refunded': money(p.refunded)}
                for p in view.money.payments]
        table = ui.table(columns=_columns(('receipt', 'Receipt'), ('date', 'Date'), ('method', 'Method'),
                                          ('amount', 'Amount'), ('status', 'Status'), ('refunded', 'Refunded')),
                         rows=rows, row_key='id', pagination={'rowsPerPage': 10}) \
            .classes('w-full').props(PHONE_TABLE).mark('payments')
        table.add_slot('body-cell-status', '<q-td :props="props"><span v-html="props.row.chip"></span></q-td>')
        table.add_slot('body-cell-receipt', '<q-td :props="props"><a class="text-teal-800 underline" '
                       ':href="\'/documents/receipts/\' + props.row.id + \'.pdf\'" target="_blank">'
                       '{{ props.row.receipt }}</a></q-td>')


def _insurance(view: desk.DeskAccount, money) -> None:  # noqa: ANN001
    with _card('Coverage and claims', 'insurance'):
        if not view.coverage and not view.claims:
            ui.label('No coverage or claims on file.').classes(theme.MUTED)
        for item in view.coverage:
            state = '' if item.active else ' (ended)'
            ui.label(f'{item.patient}: {item.payer} {item.plan} · member …{item.member_id_last4} · '
                     f'{"primary" if item.priority == 1 else "secondary"}{state}').classes('text-slate-800')
        for claim in view.claims[:10]:
            ui.label(f'Claim {claim.number} · {claim.patient} · {claim.status} · billed {money(claim.billed)}, '
                     f'insurance paid {money(claim.paid)}, patient owes {money(claim.patient_owes)}') \
                .classes('text-sm text-slate-800').mark('claim')


def _messages(view: desk.DeskAccount) -> None:
    with _card('Messages', 'messages'):
        if not view.threads:
            ui.label('No messages.').classes(theme.MUTED)
        for thread in view.threads:
            ui.html(f'<a class="{theme.LINK}" href="/staff/messages/{thread.id}">{escape(thread.subject)}</a>'
                    f' <span class="{theme.MUTED}">{escape(thread.category)} · {escape(thread.status)} · '
                    f'{forms.date_time(thread.last_at)}</span>', sanitize=False)


def _audit(view: desk.DeskAccount) -> None:
    with ui.expansion('Audit trail (latest 50)', icon='history').classes(theme.CARD).mark('audit'):
        rows = [{'id': index, 'at': forms.date_time(line.at), 'by': line.by, 'action': line.action,
                 'outcome': 'Refused' if line.outcome == 'denied' else 'Done'}
                for index, line in enumerate(view.audit)]
        ui.table(columns=_columns(('at', 'When'), ('by', 'Who'), ('action', 'What'), ('outcome', 'Outcome')),
                 rows=rows, row_key='id').classes('w-full').props(PHONE_TABLE).mark('audit-table')
