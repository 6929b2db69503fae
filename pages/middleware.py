"""Auth middleware with an allow-list: which paths are public, which need which role.

Signed-out visitors are sent to sign-in; a role that may not open a path gets a 404 page; staff
reach staff pages only after their second factor; expired sessions are ended here for HTTP
requests (open pages are watched by the frame's session guard).
"""
from __future__ import annotations

import time
from urllib.parse import quote

from nicegui import app
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from components import not_found, session
from pages.system import Readiness
from portal.auth.permissions import ADMIN_ROLES, STAFF_ROLES

PUBLIC_PREFIXES = ('/_nicegui', '/assets/', '/healthz', '/webhooks/', '/favicon')
PUBLIC_PAGES = frozenset({'/', '/register', '/forgot', '/reset', '/pay', '/auth/session', '/invite',
                          '/auth/oidc/start', '/auth/oidc/callback'})  # the last two: staff single sign-on
# guest pay (success, cancel, receipt by signed link) and the demo gateway's hosted checkout
PUBLIC_PAGE_PREFIXES = ('/pay/', '/demo-checkout/')
SIGNED_IN = frozenset({'patient', 'staff', 'admin'})
PATIENTS = frozenset({'patient'})
# prefix -> roles allowed; the first match wins; a path matching none is refused
RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ('/mfa', SIGNED_IN),
    ('/profile', SIGNED_IN),
    ('/documents', SIGNED_IN),  # the services check access to the exact statement or receipt
    ('/files', SIGNED_IN),  # the file service asks the owner's access check (a message's thread...)
    ('/statements', PATIENTS),
    ('/plans', PATIENTS),
    ('/claims', PATIENTS),
    ('/payment-methods', PATIENTS),
    ('/payments', PATIENTS),  # the history and signed-in receipts (access-checked per payment)
    ('/messages', PATIENTS),
    ('/insurance', PATIENTS),
    ('/appointments', PATIENTS),
    ('/staff/admin', ADMIN_ROLES),  # before the general staff rule: staff get the 404 page
    ('/staff', STAFF_ROLES),
)

NOT_FOUND = 'not found'  # answered with the one 404 page (components/not_found.py), framed for who is signed in


def allowed_roles(path: str) -> frozenset[str] | None:
    for prefix, roles in RULES:
        if path == prefix or path.startswith(prefix + '/'):
            return roles
    return None


ACTIVITY_WRITE_SECONDS = 30  # record activity at most this often: each write persists the user's storage


STARTING = HTMLResponse(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Starting</title>'
    '<meta http-equiv="refresh" content="3"><meta name="viewport" content="width=device-width, initial-scale=1">'
    '</head><body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">'
    '<main><h1>Starting up</h1><p>The portal is getting ready. This page will reload in a moment.</p></main>'
    '</body></html>', status_code=503, headers={'Retry-After': '3'})


async def decide(path: str, query: str = '') -> Response | str | None:
    """None lets the request through; NOT_FOUND for the 404 page; otherwise the response to send instead.
    A signed-out visitor is sent to sign in and then on to the page asked for, its query included."""
    if not Readiness.ready:  # migrations and demo seeding still running
        return STARTING
    auth = session.current_auth()
    if auth is not None and session.status(auth) == 'expired':
        session.clear()
        return RedirectResponse('/?reason=timeout')
    if auth is not None and not await session.still_valid(auth):
        session.clear()
        return RedirectResponse('/?reason=signed-out')
    if auth is not None and time.time() - float(auth.get('last_active_at', 0)) > ACTIVITY_WRITE_SECONDS:
        app.storage.user[session.AUTH_KEY] = {**auth, 'last_active_at': time.time()}
    if path in PUBLIC_PAGES or path.startswith(PUBLIC_PAGE_PREFIXES):
        return None
    if auth is None:
        return RedirectResponse(f'/?next={quote(path + ("?" + query if query else ""), safe="/")}')
    roles = allowed_roles(path)
    if roles is None or auth.get('role') not in roles:
        return NOT_FOUND
    if not auth.get('mfa_ok') and not path.startswith('/mfa'):
        return RedirectResponse('/mfa')
    return None


class AuthMiddleware:
    """Plain ASGI middleware (cheaper per request than BaseHTTPMiddleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http' and not scope['path'].startswith(PUBLIC_PREFIXES):
            response = await decide(scope['path'], scope.get('query_string', b'').decode('latin-1'))
            if response == NOT_FOUND:
                response = not_found.response(Request(scope, receive))
            if isinstance(response, Response):
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def register() -> None:
    app.add_middleware(AuthMiddleware)
