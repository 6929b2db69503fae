"""Uploaded files at /files/{random id}: only for someone the owner's access check lets see them
(anyone else, and any unknown id: the 404 page, audited once by the file service). Served sandboxed
and never sniffed; pictures shown inline, everything else (PDFs) downloaded."""
from __future__ import annotations

from nicegui import app, run
from starlette.requests import Request
from starlette.responses import Response

from components import not_found, session
from pages.security_headers import uploaded_file_headers
from portal.auth.permissions import Actor
from portal.db import write_session
from portal.errors import NotFound
from portal.services import files


def _read(actor: Actor, file_id: str) -> tuple[files.StoredFileView, bytes] | None:
    try:
        with write_session() as db:  # a refusal's audit event is kept after the rollback
            return files.read_file(db, actor=actor, file_id=file_id)
    except NotFound:
        return None


def register() -> None:
    @app.get('/files/{file_id}')
    async def stored_file(request: Request, file_id: str) -> Response:
        if session.current_auth() is None:
            return not_found.response(request)
        found = await run.io_bound(_read, session.actor(), file_id)
        if found is None:
            return not_found.response(request)
        view, data = found
        return Response(data, media_type=view.content_type, headers={
            **uploaded_file_headers(view.name, inline=view.inline), 'Cache-Control': 'private, no-store'})
