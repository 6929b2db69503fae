"""The rows behind each plan, adoption and KPI figure of the dashboard: their numerator and denominator equal
the tile's, the view and the CSV are audited, an unknown figure is refused."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.models import AccountAccess, AuditEvent, AuthorRole, GuarantorAccount, Message, MessageThread
from portal.services import dashboard, dashboard_rows
from portal.services.dashboard import Filters
from portal.services.money_moved import account_money_moved
from portal.services.practice import practice_today
from tests.factories import make_account, make_charges, make_claim, make_user
from tests.support.receivables import decide, pay

STAFF = Actor(user_id=0, role='staff')


def _fixture() -> None:
    """Two accounts (one paperless, one with a sign-in), charges with a payment, a denied and a paid claim,
    a patient message answered after 3 hours and one not answered."""
    with read_session() as session:
        today = practice_today(session)
    first, _ = make_account()
    second, _ = make_account()
    denied = make_charges(first, [10000], start=today - timedelta(days=20))[0]
    paid = make_charges(second, [30000], start=today - timedelta(days=15))[0]
    user = make_user(role='patient')
    now = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    with write_session() as session:
        session.get(GuarantorAccount, first.id).paperless = True
        session.add(AccountAccess(account_id=second.id, user_id=user.id))
        thread = MessageThread(account_id=first.id, subject='My bill')
        session.add(thread)
        session.flush()
        session.add(Message(thread_id=thread.id, author_role=AuthorRole.patient, body='Why?', created_at=now))
        session.add(Message(thread_id=thread.id, author_role=AuthorRole.staff, body='Because.',
                            created_at=now + timedelta(hours=3)))
        session.add(Message(thread_id=thread.id, author_role=AuthorRole.patient, body='Ok?',
                            created_at=now + timedelta(hours=4)))
    denied_claim, paid_claim = make_claim(denied, status='submitted'), make_claim(paid, status='submitted')
    with write_session() as session:
        decide(session, denied_claim, 'denied')
        decide(session, paid_claim, 'paid')
        for account in (first, second):
            account_money_moved(session, account_id=account.id)
        pay(session, first.id, 4000, on=today)


def test_each_figure_s_rows_give_the_tile_s_numerator_and_denominator(db: str) -> None:
    _fixture()
    with read_session() as session:
        figures = dashboard.collections_dashboard(session, actor=STAFF, filters=Filters())
    kpis = {kpi.key: (kpi.numerator, kpi.denominator) for kpi in figures.kpis}
    expected = {
        'plans-active': (figures.plans_active, 0), 'plans-past-due': (figures.plans_past_due, 0),
        'autopay-rate': (figures.autopay_succeeded, figures.autopay_tried),
        'portal-adoption': (figures.accounts_registered, figures.accounts),
        'paperless-rate': (figures.accounts_paperless, figures.accounts),
        **{key: kpis[key] for key in ('denial-rate-claims', 'denial-rate-dollars', 'response-time',
                                      'patient-collection-rate')}}
    assert set(expected) == set(dashboard_rows.FIGURES)
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    for figure, (numerator, denominator) in expected.items():
        with write_session() as session:
            drill = dashboard_rows.rows_drill(session, actor=staff, figure=figure, filters=Filters())
        assert (drill.numerator, drill.denominator) == pytest.approx((numerator, denominator)), figure
        if drill.denominator_label is None:
            assert drill.rows_count == numerator, figure
        else:
            assert sum(row.counted for row in drill.rows) <= drill.rows_count
    # the fixture's own figures, by hand
    assert expected['paperless-rate'][0] >= 1 and expected['portal-adoption'][0] >= 1
    assert kpis['denial-rate-claims'] == (1, 2)
    assert kpis['denial-rate-dollars'] == (10000, 40000)
    assert kpis['response-time'] == (3.0, 1)  # hours summed, messages answered


def test_a_figure_s_view_and_csv_are_audited_and_the_csv_escaped(db: str) -> None:
    _fixture()
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:
        thread = session.exec(select(MessageThread)).first()
        account = session.get(GuarantorAccount, thread.account_id)
        account.account_number = '=cmd1'
    with write_session() as session:
        dashboard_rows.rows_drill(session, actor=staff, figure='response-time', filters=Filters())
        text = dashboard_rows.rows_csv(session, actor=staff, figure='response-time', filters=Filters())
    assert "'=cmd" in text
    assert text.splitlines()[0].startswith('Account,Thread,Patient wrote,First reply,Hours,Counted')
    with read_session() as session:
        actions = [event.action for event in session.exec(select(AuditEvent).where(AuditEvent.actor_user_id
                                                                                   == staff.user_id))]
    assert actions.count('view_figure_drill') == 1 and actions.count('export_figure_drill') == 1


def test_an_unknown_figure_is_refused_and_patients_never_see_one(db: str) -> None:
    from portal.errors import NotFound
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session, pytest.raises(ValueError):
        dashboard_rows.rows_drill(session, actor=staff, figure='nothing', filters=Filters())
    with write_session() as session, pytest.raises(NotFound):
        dashboard_rows.rows_drill(session, actor=Actor(user_id=1, role='patient'), figure='plans-active',
                                  filters=Filters())


def test_rows_page_and_the_figure_stays_that_of_every_row(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _fixture()
    monkeypatch.setattr(dashboard_rows, 'PAGE_SIZE', 1)
    staff = Actor(user_id=make_user(role='staff').id, role='staff')
    with write_session() as session:
        first, second, beyond = (dashboard_rows.rows_drill(session, actor=staff, figure='denial-rate-claims',
                                                           filters=Filters(), page=page) for page in (1, 2, 9))
    assert (first.pages, len(first.rows), first.numerator, first.denominator) == (2, 1, 1, 2)
    assert first.rows[0].cells[0].text != second.rows[0].cells[0].text
    assert (second.numerator, second.denominator) == (1, 2)
    assert beyond.page == 2  # a page past the end shows the last
