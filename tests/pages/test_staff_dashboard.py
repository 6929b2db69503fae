"""The staff home is the collections dashboard: aging by responsibility, KPIs with their formulas, and every
aging figure opens the charges behind it, whose total is the figure; the CSV download is audited."""
from __future__ import annotations

from nicegui.testing import User
from sqlmodel import func, select

from portal.auth.permissions import Actor
from portal.db import read_session
from portal.models import AuditEvent
from portal.services import dashboard
from portal.services.dashboard import Filters
from tests.pages.conftest import DEMO_STAFF, sign_in


def _figures() -> dashboard.Dashboard:
    with read_session() as session:
        return dashboard.collections_dashboard(session, actor=Actor(user_id=0, role='staff'), filters=Filters())


async def test_staff_see_aging_by_responsibility_and_kpis_with_their_formulas(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.open('/staff')
    figures = _figures()
    await user.should_see('Total A/R')
    await user.should_see('A/R aging (days from date of service)')
    await user.should_see('Aged A/R over 90 days')
    await user.should_see('HFMA MAP AR-1')
    await user.should_see('Account credits (payments not applied to a charge, more paid on a charge than')
    await user.should_see('A/R more than 90 days from date of service ÷ total billed A/R')
    await user.should_see(f'As of {figures.as_of:%B} {figures.as_of.day}, {figures.as_of.year}', retries=3)
    assert figures.total_ar > 0


async def test_an_aging_bucket_opens_its_charges_whose_total_is_the_figure(user: User) -> None:
    figures = _figures()
    bucket = next(row for row in figures.aging if row.patient > 0)
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')  # signed in: the staff home
    await user.open(f'/staff/dashboard/ar?responsibility=patient&bucket={bucket.bucket}')
    await user.should_see(f'Patient A/R, {bucket.bucket} days from date of service')
    from components.forms import money
    await user.should_see(money(bucket.patient))
    await user.should_see('Download CSV')
    before = _exports()
    user.find('Download CSV').click()
    for _ in range(50):
        if _exports() > before:
            break
        import asyncio
        await asyncio.sleep(0.1)
    assert _exports() == before + 1


def _exports() -> int:
    with read_session() as session:
        return int(session.exec(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == 'export_ar_drill')).one())


async def test_the_period_s_patient_payments_open_with_the_collected_figure_as_total(user: User) -> None:
    from components.forms import money
    figures = _figures()
    collected = sum(day.patient for day in figures.collections)
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')
    await user.open(f'/staff/dashboard/payments?source=patient&start={figures.start}&end={figures.end}')
    await user.should_see('Patient payments, ')
    await user.should_see(money(collected))
    await user.should_see('Download CSV')


async def test_a_long_drill_down_pages_by_fifty(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')
    await user.open('/staff/dashboard/ar?bucket=all')
    await user.should_see('All A/R, all ages')
    await user.should_see('Page 1 of')
    user.find(marker='next-page').click()
    await user.should_see('Page 2 of')


async def test_an_unknown_or_unreadable_filter_in_the_address_shows_the_dashboard_not_an_error(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')
    await user.open('/staff?provider=987654&location=2')  # an id that names no provider: it filters to nothing
    await user.should_see('Unknown provider (987654)')
    await user.should_see('Total A/R')
    await user.open('/staff?provider=99999999999999999999999&payer=²')  # too large for the column; not ASCII
    await user.should_see('Total A/R')
    await user.open('/staff/dashboard/ar?bucket=0-30&provider=99999999999999999999999')
    await user.should_see('A/R, 0-30 days from date of service')


async def test_payments_of_a_reversed_period_are_those_of_the_period_the_right_way_round(user: User) -> None:
    from components.forms import money
    figures = _figures()
    collected = sum(day.patient for day in figures.collections)
    assert collected > 0
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Total A/R')
    await user.open(f'/staff/dashboard/payments?source=patient&start={figures.end}&end={figures.start}')
    await user.should_see(money(collected))
