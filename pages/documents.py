"""Documents served only to users with access: /documents/statements/{id}.pdf. Anyone else gets
404, and the attempt is audited (by the service's access check)."""
from __future__ import annotations

from nicegui import app, background_tasks, run
from starlette.requests import Request
from starlette.responses import Response

from components import not_found, session
from components.page import parse_id
from portal.config import get_settings
from portal.db import write_session
from portal.documents.pdf import prepare_fonts
from portal.documents.statement_pdf import render_statement
from portal.services import statements


def _statement_pdf(actor, statement_id: int) -> bytes | None:  # noqa: ANN001
    with write_session() as db:  # the access check's audit events are kept, refusals too
        detail = statements.find_statement_detail(db, actor=actor, statement_id=statement_id,
                                                  purpose='download_statement')
    if detail is None:
        return None
    return render_statement(detail, pay_url=f'{get_settings().public_base_url}/pay?code={detail.quick_pay_code}')


def register() -> None:
    @app.get('/documents/statements/{statement_id}.pdf')
    async def statement_pdf(request: Request, statement_id: str) -> Response:
        wanted = parse_id(statement_id)
        if session.current_auth() is None or wanted is None:
            return not_found.response(request)
        pdf = await run.io_bound(_statement_pdf, session.actor(), wanted)
        if pdf is None:
            return not_found.response(request)
        return Response(pdf, media_type='application/pdf', headers={
            'Content-Disposition': f'inline; filename="statement-{wanted}.pdf"',
            'Cache-Control': 'private, no-store'})

    # parse the fonts before the first statement asks for them
    app.on_startup(lambda: background_tasks.create(run.io_bound(prepare_fonts), name='prepare-fonts'))
