"""File upload fields for the pages that take files (insurance cards, message attachments).

The server refuses an upload request over pages.body_limits' upload limit (10 MB a file) with a bare
413; this field keeps people from meeting it: the browser refuses a file over the limit before sending
it, and any refusal (or a lost connection) is told in words on the page.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import events, ui

UPLOAD_MAX_FILE_BYTES = 10 * 1000 * 1000  # "10 MB a file", as the messages say it
TOO_LARGE = f'That file is too large. Choose one of at most {UPLOAD_MAX_FILE_BYTES // 1_000_000} MB.'
FAILED = 'The file did not upload. Check that it is at most 10 MB and try again.'


def file_upload(label: str, *, on_upload: Callable[[events.UploadEventArguments], Any], mark: str = '') -> ui.upload:
    """One file at a time, at most UPLOAD_MAX_FILE_BYTES; too large or failed uploads get a message."""
    element = ui.upload(label=label, on_upload=on_upload, max_file_size=UPLOAD_MAX_FILE_BYTES, auto_upload=True,
                        on_rejected=lambda: ui.notify(TOO_LARGE, type='warning')).classes('w-full')
    element.on('failed', lambda: ui.notify(FAILED, type='negative'))
    if mark:
        element.mark(mark)
    return element
