"""Request body limits per route, enforced before anything buffers the body (413 otherwise).

An outermost ASGI layer: a declared `Content-Length` over the route's limit is refused without reading
a byte; a body without a length (chunked) is counted while it streams and refused as soon as it passes
the limit, so no handler ever holds more than the limit. Routes that take files (NiceGUI's upload
route, used by `components.uploads`) get UPLOAD_MAX_FILE_BYTES a file; the rest are small.
"""
from __future__ import annotations

import re

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from components.uploads import UPLOAD_MAX_FILE_BYTES

KIB = 1024
MIB = 1024 * KIB
MULTIPART_OVERHEAD = 64 * KIB  # boundaries and part headers around the one file of an upload request
DEFAULT_LIMIT = 64 * KIB  # forms, JSON calls, pages: none of them carries more

# (path pattern, bytes); the first match wins
LIMITS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r'/webhooks/stripe'), 512 * KIB),  # Stripe's events are far smaller
    (re.compile(r'/webhooks/sms'), 16 * KIB),
    (re.compile(r'/_nicegui/client/[^/]+/upload/[^/]+'), UPLOAD_MAX_FILE_BYTES + MULTIPART_OVERHEAD),
    (re.compile(r'/_nicegui_ws/.*'), 1 * MIB),  # socket.io long-polling; engine.io's own cap is 1,000,000
)


def limit_for(path: str) -> int:
    """The most bytes a request body to `path` may carry."""
    for pattern, limit in LIMITS:
        if pattern.fullmatch(path):
            return limit
    return DEFAULT_LIMIT


def too_large() -> JSONResponse:
    return JSONResponse({'error': 'request body too large'}, status_code=413, headers={'Connection': 'close'})


class BodyTooLarge(Exception):
    """Raised from `receive` when a streamed body passes its limit; BodyLimit answers 413."""


def declared_length(scope: Scope) -> int | None:
    """The Content-Length header as a number; -1 when it is there but not a number."""
    for name, value in scope['headers']:
        if name == b'content-length':
            return int(value) if value.isdigit() else -1
    return None


class BodyLimit:
    """Outermost layer (see pages.wire): refuses bodies over their route's limit with 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope['path'])
        length = declared_length(scope)
        if length is not None and not 0 <= length <= limit:
            await too_large()(scope, receive, send)
            return
        if length is not None:  # the server stops the body at its declared length
            await self.app(scope, receive, send)
            return
        received = 0
        refused = started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message['type'] == 'http.request':
                received += len(message.get('body', b''))
                if received > limit:
                    refused = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:  # what the app answers to the aborted read (an error page) is replaced by the 413
                return
            started = started or message['type'] == 'http.response.start'
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not refused:  # BodyTooLarge may arrive wrapped (exception groups of middleware task groups)
                raise
        if refused and not started:
            await too_large()(scope, receive, send)
