"""The one 404 page: for an unknown path, a path the role may not open, and an id that is malformed,
missing or someone else's (the same page every way, so a changed id reveals nothing). Framed with the
navigation when someone is signed in, the signed-out card otherwise; always HTTP status 404."""
from __future__ import annotations

from fastapi.exception_handlers import http_exception_handler
from nicegui import Client, app, ui
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from components import session, theme
from components.frame import frame, signed_out_card

TITLE = 'Page not found'
MESSAGE = 'We could not find that page. It may have moved, or the link may be mistyped.'


def content() -> None:
    """Draw the 404 page into the page being built, and answer it with status 404."""
    ui.status_code(404)
    auth = session.current_auth()
    if auth is not None and auth.get('mfa_ok'):
        with frame(TITLE, auth=auth, path=''), ui.column().classes(theme.CARD + ' gap-3 max-w-xl') \
                .mark('not-found'):
            ui.label(TITLE).classes(theme.H1).props('role=heading aria-level=1')
            _body()
    else:
        with signed_out_card(TITLE).mark('not-found'):
            _body()


def _body() -> None:
    ui.label(MESSAGE).classes('text-slate-700')
    ui.link('Go to your home page', '/').classes('text-teal-800 text-base underline underline-offset-2 py-2') \
        .mark('home-link')


def response(request: Request) -> Response:
    """The 404 page as a response, for code outside a page (middleware, file routes, unknown paths)."""
    with Client(ui.page(''), request=request) as client:
        content()
    return client.build_response(request, 404)


async def _on_404(request: Request, exception: Exception) -> Response:
    endpoint = request.scope.get('endpoint')
    if endpoint is not None and endpoint is not app and not request.scope.get('nicegui_page_path') \
            and isinstance(exception, HTTPException):
        return await http_exception_handler(request, exception)  # an API route's own 404 stays JSON (NiceGUI's rule)
    return response(request)


def register() -> None:
    """Answer unknown paths with this page instead of NiceGUI's default error page."""
    app.add_exception_handler(404, _on_404)
