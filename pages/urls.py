"""What pages take from a URL: ids in the path or the query string, and the 404 answer for any id that
is malformed, missing or someone else's (the same page either way, so a changed id reveals nothing)."""
from __future__ import annotations

import re

from starlette.responses import HTMLResponse

from pages.middleware import NOT_FOUND

ID = re.compile(r'[0-9]{1,18}')  # ASCII digits only ('²'.isdigit() is True); 18 fit a 64-bit column


def parse_id(text: str | None) -> int | None:
    """The id in `text`, or None for anything else (empty, signs, spaces, other scripts, too long)."""
    return int(text) if text is not None and ID.fullmatch(text) else None


def not_found_response() -> HTMLResponse:
    return HTMLResponse(NOT_FOUND.body, status_code=404)
