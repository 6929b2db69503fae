"""Each plan, adoption and KPI tile of the staff home opens the rows behind it, showing the tile's numerator
and denominator; the view is audited, an unknown figure is not found, patients never see it."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session
from portal.models import AuditEvent
from portal.services import dashboard
from portal.services.dashboard import Filters
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


def _views() -> int:
    with read_session() as session:
        return int(session.exec(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == 'view_figure_drill')).one())


async def test_portal_adoption_opens_the_accounts_with_a_sign_in_and_its_figure(user: User) -> None:
    with read_session() as session:
        figures = dashboard.collections_dashboard(session, actor=Actor(user_id=0, role='staff'), filters=Filters())
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')
    links = {element.props.get('href') for element in user.find(ui.link).elements}
    for figure in ('plans-active', 'plans-past-due', 'autopay-rate', 'portal-adoption', 'paperless-rate',
                   'denial-rate-claims', 'denial-rate-dollars', 'response-time', 'patient-collection-rate'):
        assert any('/staff/dashboard/rows?' in (link or '') and f'figure={figure}' in link for link in links), figure
    before = _views()
    await user.open('/staff/dashboard/rows?figure=portal-adoption')
    await user.should_see('Accounts with a sign-in')
    await user.should_see(f'Accounts with a sign-in: {figures.accounts_registered:,} ÷ Accounts: '
                          f'{figures.accounts:,}', retries=3)
    await user.should_see('Download CSV')
    assert _views() == before + 1


async def test_an_unknown_figure_is_not_found(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')
    assert (await user.http_client.get('/staff/dashboard/rows?figure=nothing')).status_code == 404


async def test_patients_never_see_a_figure_s_rows(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    response = await user.http_client.get('/staff/dashboard/rows?figure=plans-active', follow_redirects=False)
    assert response.status_code == 404
    assert 'Active payment plans' not in response.text
