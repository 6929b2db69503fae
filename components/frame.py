"""The page frame: header with the practice's name and logo, navigation (drawer on phones,
side navigation on laptops), a visible sign-out, the demo-payments banner, and the session guard
that signs out an idle page even when it sends no HTTP request."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import escape
from typing import Any

from nicegui import ui

from components import live, session, theme
from components.calls import call, read
from portal.config import get_settings
from portal.services import practice
from portal.services.identity import sessions
from portal.services.messaging import inbox
from portal.services.messaging.inbox import Badge


@dataclass(frozen=True)
class NavItem:
    label: str
    icon: str
    path: str


PATIENT_NAV = [
    NavItem('Home', 'home', '/'),
    NavItem('Statements', 'receipt_long', '/statements'),
    NavItem('Claims', 'health_and_safety', '/claims'),
    NavItem('Appointments', 'event', '/appointments'),
    NavItem('Messages', 'mail', '/messages'),
    NavItem('Pay', 'payments', '/pay'),
    NavItem('Payment history', 'history', '/payments'),
    NavItem('Payment plans', 'event_repeat', '/plans'),
    NavItem('Payment methods', 'credit_card', '/payment-methods'),
    NavItem('Insurance', 'health_and_safety', '/insurance'),
    NavItem('Profile', 'person', '/profile'),
]
STAFF_NAV = [
    NavItem('Dashboard', 'insights', '/staff'),
    NavItem('Accounts', 'folder_shared', '/staff/accounts'),
    NavItem('Approvals', 'fact_check', '/staff/approvals'),
    NavItem('Messages', 'forum', '/staff/messages'),
    NavItem('Schedule', 'calendar_month', '/staff/schedule'),
    NavItem('Insurance queue', 'health_and_safety', '/staff/insurance'),
    NavItem('Remittances', 'receipt_long', '/staff/remittances'),
    NavItem('Statement runs', 'print', '/staff/statement-runs'),
    NavItem('Payment plans', 'event_repeat', '/staff/plans'),
    NavItem('Notifications', 'outbox', '/staff/notifications'),
    NavItem('Jobs', 'schedule', '/staff/jobs'),
    NavItem('Profile', 'person', '/profile'),
]
ADMIN_NAV = [  # shown to admins only, after the staff pages (the middleware refuses these paths to staff)
    NavItem('Users', 'manage_accounts', '/staff/admin/users'),
    NavItem('Practice settings', 'tune', '/staff/admin/settings'),
    NavItem('Audit log', 'policy', '/staff/admin/audit'),
    NavItem('Schedule set-up', 'edit_calendar', '/staff/admin/schedule'),
]


def navigation_for(auth: dict) -> list[NavItem]:
    """The navigation a signed-in person sees: patients', staff's, or staff's plus the admin area."""
    if not session.is_staff(auth):
        return PATIENT_NAV
    if auth.get('role') == 'admin':
        return [*STAFF_NAV[:-1], *ADMIN_NAV, STAFF_NAV[-1]]
    return STAFF_NAV


def demo_banner() -> None:
    if get_settings().payments_mode == 'demo':
        ui.html('<div role="status" class="w-full text-center bg-amber-100 text-amber-900 text-sm py-1 px-3">'
                 'Demo payments — no money moves</div>', sanitize=False).classes('w-full')


def brand_html(name: str, *, size: str = 'h-9 w-9', logo: str = '/assets/logo.svg') -> str:
    return (f'<span class="flex no-wrap items-center gap-2"><img src="{escape(logo)}" alt="{escape(name)} logo" '
            f'class="{size} shrink-0 object-contain"><span class="text-base sm:text-lg font-semibold leading-tight">'
            f'{escape(name)}</span></span>')


def brand(name: str, *, size: str = 'h-9 w-9', logo: str = '') -> None:
    ui.html(brand_html(name, size=size, logo=logo or '/assets/logo.svg'), sanitize=False)


def badge_html(unread: int) -> str:
    """The unread count beside 'Messages' (nothing when 0); screen readers hear 'N unread'."""
    if unread <= 0:
        return ''
    shown = '99+' if unread > 99 else str(unread)
    return (f'<span data-testid="nav-unread" class="ml-auto rounded-full bg-teal-800 text-white text-xs font-semibold '
            f'px-2 py-0.5" aria-label="{unread} unread">{shown}</span>')


def claims_badge_html(count: int) -> str:
    """The count beside 'Claims' of denied claims the patient can act on (nothing when 0)."""
    if count <= 0:
        return ''
    return (f'<span data-testid="nav-claims" class="ml-auto rounded-full bg-red-800 text-white text-xs font-semibold '
            f'px-2 py-0.5" aria-label="{count} need your attention">{count}</span>')


def nav_html(items: list[NavItem], current_path: str, *, unread: int = 0, claims: int = 0) -> str:
    links = []
    for item in items:
        current = item.path == current_path
        style = 'bg-teal-50 text-teal-900 font-semibold' if current else 'text-slate-800 hover:bg-slate-100'
        marker = ' aria-current="page"' if current else ''
        links.append(f'<a href="{item.path}"{marker} class="no-underline rounded-lg '
                     f'px-3 py-3 flex no-wrap items-center gap-3 text-base {style}">'
                     f'<i class="q-icon material-icons text-xl" aria-hidden="true">{item.icon}</i>'
                     f'{escape(item.label)}{badge_html(unread) if item.path == "/messages" else ""}'
                     f'{claims_badge_html(claims) if item.path == "/claims" else ""}</a>')
    return f'<nav aria-label="Main" class="settle-nav flex flex-col gap-1 pt-2">{"".join(links)}</nav>'


def signed_out_card(title: str, subtitle: str = '') -> ui.column:
    """The centred card of pages shown before or during sign-in (no navigation): fill it with `with`."""
    name = practice.cached_practice().name
    ui.page_title(f'{title} · {name}')
    demo_banner()
    with ui.column().classes(theme.NARROW_PAGE).props('role=main'):
        with ui.row().classes('w-full justify-center pt-2'):
            brand(name, size='h-11 w-11')
        card = ui.column().classes(theme.CARD + ' gap-3')
        with card:
            ui.label(title).classes(theme.H1).props('role=heading aria-level=1')
            if subtitle:
                ui.label(subtitle).classes('text-slate-700')
    return card


@contextmanager
def frame(title: str, *, auth: dict, path: str, badge: Badge | None = None,
          on_badge: Callable[[Badge], Any] | None = None) -> Iterator[ui.column]:
    """Header, navigation and session guard around a page's content, in as few elements as possible:
    each element costs every connected client memory and render time. A patient's `badge` (unread
    messages) shows beside Messages and follows their accounts' inbox topics live; `on_badge(latest)`
    lets the page follow the same count (the home's Messages cards) without a watch of its own."""
    facts = practice.cached_practice()
    name = facts.name
    ui.page_title(f'{title} · {name}')
    nav = navigation_for(auth)
    with ui.header(elevated=False).classes('bg-white text-slate-900 border-b border-slate-200 px-2 sm:px-4 py-2 '
                                           'items-center no-wrap gap-1'):
        ui.button(icon='menu', on_click=lambda: drawer.toggle()).props(
            'flat round aria-label="Open navigation"').classes('lg:hidden')
        brand(name, logo=facts.logo_url)  # an uploaded logo is served to signed-in people only (/files)
        ui.button('Sign out', icon='logout', on_click=lambda: sign_out()).props(
            'flat no-caps dense aria-label="Sign out"').classes('text-slate-700 shrink-0 px-2 ml-auto').mark('sign-out')
    # value=False + show-if-above: Quasar opens it on laptops by itself, with no JavaScript round trip per client
    with ui.left_drawer(value=False, bordered=True).props('show-if-above breakpoint=1023 :width=240') \
            .classes('bg-white') as drawer:
        menu = ui.html(nav_html(nav, path, unread=badge.unread if badge else 0, claims=badge.claims if badge else 0),
                       sanitize=False).classes('w-full').mark('nav')
    if badge is not None and badge.account_ids:
        _follow_badge(menu, nav, path, badge, on_badge)
    demo_banner()
    _session_guard(int(auth['user_id']), str(auth.get('nonce', '')))
    with ui.column().classes(theme.PAGE) as content:
        yield content


def _follow_badge(menu: ui.html, nav: list[NavItem], path: str, badge: Badge,
                  on_badge: Callable[[Badge], Any] | None) -> None:
    async def refresh() -> None:
        latest = await read(inbox.badge, actor=session.actor())
        menu.set_content(nav_html(nav, path, unread=latest.unread, claims=latest.claims))
        if on_badge is not None:
            on_badge(latest)

    live.watch([f'inbox:{account_id}' for account_id in badge.account_ids], refresh)


async def sign_out(*, reason: str = '') -> None:
    auth = session.current_auth()
    session.clear()
    if auth is not None:
        await call(sessions.sign_out, user_id=int(auth['user_id']), ip=session.client_ip())
    ui.navigate.to(f'/?reason={reason}' if reason else '/')


def _session_guard(user_id: int, nonce: str) -> None:
    """Checks the session every 20 s, and at once when an admin changes this user (their `user:{id}` topic,
    published on any process); the warning dialog is built only when it is needed. A page drawn for a
    sign-in that has since ended or changed (another tab signed in) leaves at once."""
    dialog: ui.dialog | None = None
    message: ui.label | None = None

    def warn(minutes: int) -> None:
        nonlocal dialog, message
        if dialog is None:
            with ui.dialog().props('persistent') as dialog, ui.card().classes('max-w-sm'):
                ui.label('Are you still there?').classes(theme.H2)
                message = ui.label().classes('text-slate-700')
                with ui.row().classes('w-full justify-end gap-2'):
                    ui.button('Sign out', on_click=lambda: sign_out()).props('flat no-caps')
                    ui.button('Stay signed in', on_click=lambda: (session.touch(), dialog.close())) \
                        .props('no-caps').mark('stay-signed-in')
        assert message is not None
        message.text = (f'For your security you will be signed out in about {minutes} '
                        f'minute{"s" if minutes != 1 else ""}.')
        dialog.open()

    async def check() -> None:
        auth = session.current_auth()
        if not session.same_sign_in(auth, user_id, nonce):
            ui.navigate.to('/')
            return
        if not await session.still_valid(auth):
            session.clear()
            ui.navigate.to('/?reason=signed-out')
            return
        state = session.status(auth)
        if state == 'expired':
            await sign_out(reason='timeout')
        elif state == 'warn':
            left = session.policy().seconds_left(now=time.time(), signed_in_at=float(auth['signed_in_at']),
                                                 last_active_at=float(auth['last_active_at']))
            warn(max(1, round(left / 60)))

    ui.timer(20, check)
    live.watch([f'user:{user_id}'], check)  # the topic has already dropped the cached answer (session.py)
    ui.on('settle-activity', lambda: session.touch())
