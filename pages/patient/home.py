"""The patient home: the amount due and a Pay button first (visible on a phone without
scrolling), then the latest statement, the next appointment and unread messages.

Static text is drawn as a few HTML blocks (escaped) rather than one element per line: every
element costs each connected client memory and render time, and this is the busiest page.
"""
from __future__ import annotations

import asyncio
from dataclasses import replace
from html import escape

from nicegui import ui

from components import chips, forms, session, theme
from components.activity import since_html
from components.calls import call, read
from components.frame import frame
from portal.services import home, payment_history, practice
from portal.services.home import AccountHome
from portal.services.messaging import inbox


def _block(html: str) -> ui.html:
    return ui.html(html, sanitize=False).classes('w-full')


async def content(auth: dict) -> None:
    summary, since, badge = await asyncio.gather(call(home.load_patient_home, actor=session.actor()),
                                                 call(payment_history.load_activity_since, actor=session.actor()),
                                                 read(inbox.badge, actor=session.actor()))
    since_by_account = {item.account_number: item for item in since}
    cards: list[tuple[AccountHome, ui.html]] = []

    def follow(latest: inbox.Badge) -> None:
        """The Messages cards follow the badge (one live watch, the frame's)."""
        for index, (shown, block) in enumerate(cards):
            count = latest.unread_of(shown.account_id)
            if count != shown.unread_messages:
                cards[index] = (replace(shown, unread_messages=count), block)
                block.set_content(_cards_html(cards[index][0], since_by_account.get(shown.account_number)))

    with frame('Home', auth=auth, path='/', badge=badge, on_badge=follow):
        _block(f'<h1 class="{theme.H1}">Hi {escape(auth.get("first_name") or "there")}</h1>')
        if not summary.accounts:
            _block(f'<section class="{theme.CARD}"><h2 class="{theme.H2}">No billing account is linked to your '
                   f'sign-in yet.</h2><p class="text-slate-700">Call the billing office at '
                   f'{escape(practice.cached_practice().phone)} and we will link it.</p></section>')
            return
        for account in summary.accounts:
            block = _account(account, several=len(summary.accounts) > 1,
                             since=since_by_account.get(account.account_number))
            cards.append((account, block))


def _account(account: AccountHome, *, several: bool, since: payment_history.SinceStatement | None = None) -> ui.html:
    """The amount due, then the statement, appointment and messages cards (returned: they follow the badge)."""
    _amount_due(account, several=several)
    return _block(_cards_html(account, since)).mark('home-cards')


def _cards_html(account: AccountHome, since: payment_history.SinceStatement | None) -> str:
    return ('<div class="w-full grid grid-cols-1 md:grid-cols-3 gap-4">'
            + _statement_card(account, since) + _appointment_card(account) + _messages_card(account) + '</div>')


def _amount_due(account: AccountHome, *, several: bool) -> None:
    title = 'Amount due' + (f' · account {account.account_number}' if several else '')
    lines = []
    if account.plan is not None and account.plan.next_due_date is not None:
        lines.append(f'Next plan payment on {forms.long_date(account.plan.next_due_date)} · '
                     f'balance {forms.money(account.balance, account.currency)}')
    elif account.due_date is not None and account.amount_due > 0:
        lines.append(f'Due {forms.long_date(account.due_date)}')
    elif account.amount_due <= 0:
        lines.append('You are all paid up. Thank you!')
    if account.refund is not None:
        lines.append(f'{forms.money(account.refund.amount, account.currency)} was refunded to you on '
                     f'{forms.long_date(account.refund.on)}: {account.refund.why}')
    if account.processing:
        lines.append(f'{forms.money(account.processing, account.currency)} in payments still processing')
    if account.waiting:
        lines.append(f'Waiting for insurance: {forms.money(account.waiting, account.currency)}, not asked for until '
                     'your insurance pays its part')
    with ui.element('section').classes(theme.CARD + ' flex flex-col gap-2').props(f'aria-label="{escape(title)}"'):
        _block(f'<h2 class="text-base font-medium text-slate-700">{escape(title)}</h2>'
               f'<p data-testid="amount-due" class="text-4xl font-bold text-slate-900 tracking-tight my-1">'
               f'{forms.money(account.amount_due, account.currency)}</p>'
               + ''.join(f'<p class="text-slate-700">{escape(line)}</p>' for line in lines))
        if account.amount_due > 0:
            ui.button('Pay now', icon='payments').props('unelevated no-caps size=lg href=/pay') \
                .classes(theme.BIG_BUTTON + ' mt-1 md:w-80').mark('pay')
        _block(f'<p class="{theme.MUTED}">Account {escape(account.account_number)} · '
               f'{escape(", ".join(account.patients))}</p>')


def _card(title: str, body: str) -> str:
    return (f'<section class="{theme.CARD} flex flex-col gap-1"><h2 class="{theme.H2}">{escape(title)}</h2>'
            f'{body}</section>')


def _statement_card(account: AccountHome, since: payment_history.SinceStatement | None = None) -> str:
    statement = account.latest_statement
    if statement is None:
        return _card('Latest statement', '<p class="text-slate-700">No statements yet.</p>')
    chip = chips.status_html(statement.status, chips.STATEMENT)
    on_plan = account.plan is not None and statement.status != 'paid'
    label = 'Next plan payment' if on_plan else 'Amount due'
    by = 'Paid — thank you' if statement.status == 'paid' else f'Due by {forms.long_date(statement.due_date)}'
    return _card('Latest statement',
                 f'<p class="text-slate-800 flex no-wrap items-center gap-2">'
                 f'{forms.long_date(statement.statement_date)} {chip}</p><p class="text-slate-800">{label} '
                 f'{forms.money(statement.amount_due, account.currency)}</p>'
                 f'<p class="{theme.MUTED}">{by}</p>'
                 + (since_html(since, several=False) if since is not None else '') +
                 f'<a href="/statements/{statement.id}" data-testid="latest-statement" class="text-teal-800 underline '
                 f'underline-offset-2 py-2">View this statement</a>')


def _appointment_card(account: AccountHome) -> str:
    appointment = account.next_appointment
    if appointment is None:
        return _card('Next appointment', '<p class="text-slate-700">No upcoming appointments.</p>'
                     f'<a href="/appointments/book" data-testid="home-book" class="{theme.LINK} py-2">Book a visit</a>')
    return _card('Next appointment',
                 f'<p class="text-slate-800 font-medium">{escape(appointment.when)}</p>'
                 f'<p class="text-slate-800">{escape(appointment.patient_first_name)} · '
                 f'{escape(appointment.visit_type)}</p>'
                 f'<p class="{theme.MUTED}">{escape(appointment.provider_name)}, '
                 f'{escape(appointment.location_name)}</p>'
                 f'<a href="/appointments" data-testid="home-appointments" class="{theme.LINK} py-2">'
                 'See, reschedule or cancel your visits</a>')


def _messages_card(account: AccountHome) -> str:
    count = account.unread_messages
    text = (f'{count} unread message{"s" if count != 1 else ""} from the billing office' if count
            else 'No unread messages.')
    return _card('Messages',
                 f'<p data-testid="unread-messages" class="text-slate-800{" font-medium" if count else ""}">'
                 f'{text}</p><p class="{theme.MUTED}">Questions about a bill? Write to the billing office.</p>'
                 f'<a href="/messages" data-testid="messages-link" class="text-teal-800 underline '
                 f'underline-offset-2 py-2">{"Read your messages" if count else "Go to your messages"}</a>')
