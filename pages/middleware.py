"""Auth middleware with an allow-list: which paths are public, which need which role.

Signed-out visitors are sent to sign-in; a role that may not open a path gets a 404 page; staff
reach staff pages only after their second factor; expired sessions are ended here for HTTP
requests (open pages are watched by the frame's session guard).
"""
from __future__ import annotations

import time
from urllib.parse import quote

from nicegui import app
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from components import session
from portal.auth.permissions import STAFF_ROLES

PUBLIC_PREFIXES = ('/_nicegui', '/assets/', '/healthz', '/webhooks/', '/favicon')
PUBLIC_PAGES = frozenset({'/', '/register', '/forgot', '/reset'})
SIGNED_IN = frozenset({'patient', 'staff', 'admin'})
# prefix -> roles allowed; the first match wins; a path matching none is refused
RULES: tuple[tuple[str, frozenset[str]], ...] = (
    ('/mfa', SIGNED_IN),
    ('/profile', SIGNED_IN),
    ('/staff', STAFF_ROLES),
)

NOT_FOUND = HTMLResponse(
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Page not found</title>'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
    '<body style="font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem">'
    '<main><h1>Page not found</h1><p>We could not find that page.</p>'
    '<p><a href="/">Go to your home page</a></p></main></body></html>', status_code=404)


def allowed_roles(path: str) -> frozenset[str] | None:
    for prefix, roles in RULES:
        if path == prefix or path.startswith(prefix + '/'):
            return roles
    return None


class AuthMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next) -> Response:  # noqa: ANN001
        path = request.url.path
        if path.startswith(PUBLIC_PREFIXES):
            return await call_next(request)
        auth = session.current_auth()
        if auth is not None and session.status(auth) == 'expired':
            session.clear()
            return RedirectResponse('/?reason=timeout')
        if auth is not None:
            app.storage.user[session.AUTH_KEY] = {**auth, 'last_active_at': time.time()}
        if path in PUBLIC_PAGES:
            return await call_next(request)
        if auth is None:
            return RedirectResponse(f'/?next={quote(path)}')
        roles = allowed_roles(path)
        if roles is None or auth.get('role') not in roles:
            return NOT_FOUND
        if not auth.get('mfa_ok') and not path.startswith('/mfa'):
            return RedirectResponse('/mfa')
        return await call_next(request)


def register() -> None:
    app.add_middleware(AuthMiddleware)
