"""The patient home: the amount due and a Pay button first (visible on a phone without
scrolling), then the latest statement, the next appointment and unread messages."""
from __future__ import annotations

from nicegui import ui

from components import forms, session, theme
from components.calls import read
from components.frame import frame
from portal.config import get_settings
from portal.services import home
from portal.services.home import AccountHome

STATUS_STYLE = {'paid': 'bg-green-100 text-green-900', 'due': 'bg-sky-100 text-sky-900',
                'overdue': 'bg-red-100 text-red-900'}


async def content(auth: dict) -> None:
    summary = await read(home.patient_home, session.actor())
    with frame('Home', auth=auth, path='/'):
        ui.label(f'Hi {auth.get("first_name") or "there"}').classes(theme.H1).props('role=heading aria-level=1')
        if not summary.accounts:
            with ui.column().classes(theme.CARD):
                ui.label('No billing account is linked to your sign-in yet.').classes(theme.H2)
                ui.label(f'Call the billing office at {get_settings().practice_phone} and we will link it.') \
                    .classes('text-slate-700')
            return
        for account in summary.accounts:
            _account(account, several=len(summary.accounts) > 1)


def _account(account: AccountHome, *, several: bool) -> None:
    _amount_due(account, several=several)
    with ui.grid().classes('w-full grid-cols-1 md:grid-cols-3 gap-4'):
        _statement_card(account)
        _appointment_card(account)
        _messages_card(account)


def _amount_due(account: AccountHome, *, several: bool) -> None:
    title = 'Amount due' + (f' · account {account.account_number}' if several else '')
    with ui.column().classes(theme.CARD + ' gap-2').props(f'role=region aria-label="{title}"'):
        ui.label(title).classes('text-base font-medium text-slate-700')
        ui.label(forms.money(account.amount_due, account.currency)).classes(
            'text-4xl font-bold text-slate-900 tracking-tight').props('data-testid=amount-due')
        if account.plan is not None and account.plan.next_due_date is not None:
            ui.label(f'Next plan payment on {forms.long_date(account.plan.next_due_date)} · '
                     f'balance {forms.money(account.balance, account.currency)}').classes('text-slate-700')
        elif account.due_date is not None and account.amount_due > 0:
            ui.label(f'Due {forms.long_date(account.due_date)}').classes('text-slate-700')
        elif account.amount_due <= 0:
            ui.label('You are all paid up. Thank you!').classes('text-green-800')
        if account.processing:
            ui.label(f'{forms.money(account.processing, account.currency)} in payments still processing') \
                .classes(theme.MUTED)
        if account.amount_due > 0:
            ui.button('Pay now', icon='payments', on_click=lambda: _ways_to_pay(account)) \
                .props('unelevated no-caps size=lg').classes(theme.BIG_BUTTON + ' mt-1 md:w-80').mark('pay')
        ui.label(f'Account {account.account_number} · {", ".join(account.patients)}').classes(theme.MUTED)


def _ways_to_pay(account: AccountHome) -> None:
    settings = get_settings()
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-md gap-3'):
        ui.label('Ways to pay').classes(theme.H2)
        ui.label(f'Amount due: {forms.money(account.amount_due, account.currency)}').classes('text-base')
        with ui.column().classes('gap-1'):
            ui.label('By phone').classes('font-semibold')
            ui.link(settings.practice_phone, f'tel:{settings.practice_phone}').classes('text-teal-800 text-base')
        with ui.column().classes('gap-1'):
            ui.label('By mail').classes('font-semibold')
            ui.label(f'Send a check payable to {settings.practice_name}. '
                     f'Write your account number, {account.account_number}, on the check.').classes('text-slate-700')
        ui.button('Close', on_click=dialog.close).props('flat no-caps').classes('self-end')
    dialog.open()


def _statement_card(account: AccountHome) -> None:
    with ui.column().classes(theme.CARD + ' gap-1'):
        ui.label('Latest statement').classes(theme.H2)
        statement = account.latest_statement
        if statement is None:
            ui.label('No statements yet.').classes('text-slate-700')
            return
        with ui.row().classes('items-center gap-2'):
            ui.label(forms.long_date(statement.statement_date)).classes('text-slate-800')
            ui.label(statement.status.capitalize()).classes(
                f'text-xs font-semibold rounded-full px-2 py-0.5 {STATUS_STYLE[statement.status]}')
        ui.label(f'Amount due {forms.money(statement.amount_due, account.currency)}').classes('text-slate-800')
        ui.label(f'Due by {forms.long_date(statement.due_date)}').classes(theme.MUTED)


def _appointment_card(account: AccountHome) -> None:
    with ui.column().classes(theme.CARD + ' gap-1'):
        ui.label('Next appointment').classes(theme.H2)
        appointment = account.next_appointment
        if appointment is None:
            ui.label('No upcoming appointments.').classes('text-slate-700')
            return
        ui.label(forms.appointment_time(appointment.starts_at)).classes('text-slate-800 font-medium')
        ui.label(f'{appointment.patient_first_name} · {appointment.visit_type}').classes('text-slate-800')
        ui.label(f'{appointment.provider_name}, {appointment.location_name}').classes(theme.MUTED)


def _messages_card(account: AccountHome) -> None:
    with ui.column().classes(theme.CARD + ' gap-1'):
        ui.label('Messages').classes(theme.H2)
        count = account.unread_messages
        if count:
            ui.label(f'{count} unread message{"s" if count != 1 else ""} from the billing office') \
                .classes('text-slate-800 font-medium').props('data-testid=unread-messages')
        else:
            ui.label('No unread messages.').classes('text-slate-700').props('data-testid=unread-messages')
        ui.label(f'Questions about a bill? Call {get_settings().practice_phone}.').classes(theme.MUTED)
