"""Documents served only to users with access: /documents/statements/{id}.pdf and a visit's calendar
file /documents/appointments/{id}.ics. Anyone else gets 404, and the attempt is audited (by the
service's access check)."""
from __future__ import annotations

from nicegui import app, background_tasks, run
from starlette.requests import Request
from starlette.responses import Response

from components import not_found, session
from components.page import parse_id
from portal.config import get_settings
from portal.db import write_session
from portal.documents.appointment_ics import render_ics
from portal.documents.pdf import prepare_fonts
from portal.documents.statement_pdf import render_statement
from portal.errors import NotFound
from portal.services import statements
from portal.services.appointments import visits
from portal.services.practice import practice


def _statement_pdf(actor, statement_id: int) -> bytes | None:  # noqa: ANN001
    with write_session() as db:  # the access check's audit events are kept, refusals too
        detail = statements.find_statement_detail(db, actor=actor, statement_id=statement_id,
                                                  purpose='download_statement')
    if detail is None:
        return None
    return render_statement(detail, pay_url=f'{get_settings().public_base_url}/pay?code={detail.quick_pay_code}')


def _appointment_ics(actor, appointment_id: int) -> bytes | None:  # noqa: ANN001
    with write_session() as db:  # the access check's audit events are kept, refusals too
        try:
            visit = visits.visit(db, actor=actor, appointment_id=appointment_id, purpose='download_appointment_ics')
        except NotFound:
            return None
        name = practice(db).name
    return render_ics(visit, practice=name, base_url=get_settings().public_base_url)


async def _serve(request: Request, text_id: str, render, *, media_type: str, disposition: str) -> Response:  # noqa: ANN001
    """The document `render(actor, id)` makes for the signed-in person, or the 404 page (bad id, not theirs)."""
    wanted = parse_id(text_id)
    if session.current_auth() is None or wanted is None:
        return not_found.response(request)
    body = await run.io_bound(render, session.actor(), wanted)
    if body is None:
        return not_found.response(request)
    return Response(body, media_type=media_type, headers={
        'Content-Disposition': disposition.format(id=wanted), 'Cache-Control': 'private, no-store'})


def register() -> None:
    @app.get('/documents/appointments/{appointment_id}.ics')
    async def appointment_ics(request: Request, appointment_id: str) -> Response:
        return await _serve(request, appointment_id, _appointment_ics, media_type='text/calendar; charset=utf-8',
                            disposition='attachment; filename="appointment-{id}.ics"')

    @app.get('/documents/statements/{statement_id}.pdf')
    async def statement_pdf(request: Request, statement_id: str) -> Response:
        return await _serve(request, statement_id, _statement_pdf, media_type='application/pdf',
                            disposition='inline; filename="statement-{id}.pdf"')

    # parse the fonts before the first statement asks for them
    app.on_startup(lambda: background_tasks.create(run.io_bound(prepare_fonts), name='prepare-fonts'))
