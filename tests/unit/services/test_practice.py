"""The practice's facts have one home (services.practice): stored in PracticeSettings, seeded from the
environment on first start, and followed everywhere, the practice's calendar day and the times pages
show included, when an admin changes them."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import select

from components import forms
from portal.config import get_settings
from portal.db import read_session, write_session
from portal.models import PracticeSettings
from portal.services import delivery, practice
from portal.services.practice import load_practice, load_practice_today, practice_today, seed_from_environment

# 03:30 UTC on 14 July: still the 13th in Chicago, already the 14th (12:30) in Tokyo
LATE_EVENING_IN_CHICAGO = datetime(2026, 7, 14, 3, 30, tzinfo=UTC)


def _store(**facts: object) -> None:
    with write_session() as session:
        row = session.exec(select(PracticeSettings)).first() or PracticeSettings(name='Riverside Family Medicine')
        for key, value in facts.items():
            setattr(row, key, value)
        session.add(row)


def test_without_a_row_every_fact_comes_from_the_environment(db: str) -> None:
    settings = get_settings()
    found = load_practice()
    assert (found.name, found.phone, found.timezone, found.from_address) == (
        settings.practice_name, settings.practice_phone, settings.practice_timezone, settings.mail_from)


def test_the_environment_is_stored_once_on_first_start_and_edits_are_kept(db: str) -> None:
    assert seed_from_environment() is True
    _store(name='Lakeside Pediatrics', timezone='America/Denver')
    assert seed_from_environment() is False  # a later start does not overwrite what an admin saved
    with read_session() as session:
        rows = session.exec(select(PracticeSettings)).all()
    assert len(rows) == 1
    found = load_practice()
    assert (found.name, found.timezone, found.phone) == ('Lakeside Pediatrics', 'America/Denver',
                                                         get_settings().practice_phone)


def test_the_practices_day_follows_a_change_of_zone(db: str) -> None:
    _store(timezone='America/Chicago')
    with time_machine.travel(LATE_EVENING_IN_CHICAGO, tick=False):
        assert load_practice_today() == date(2026, 7, 13)
        _store(timezone='Asia/Tokyo')
        with read_session() as session:
            assert practice_today(session) == date(2026, 7, 14)
            assert practice.practice(session).day_of(LATE_EVENING_IN_CHICAGO) == date(2026, 7, 14)


def test_times_shown_on_pages_follow_a_change_of_zone(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _store(timezone='America/Chicago')
    assert forms.date_time(LATE_EVENING_IN_CHICAGO) == 'Jul 13, 2026, 22:30 CDT'
    _store(timezone='Asia/Tokyo')
    assert forms.date_time(LATE_EVENING_IN_CHICAGO) == 'Jul 13, 2026, 22:30 CDT'  # cached for a while
    monkeypatch.setattr(practice, 'CACHE_SECONDS', 0.0)  # ... and no longer than CACHE_SECONDS
    assert forms.date_time(LATE_EVENING_IN_CHICAGO) == 'Jul 14, 2026, 12:30 JST'
    assert practice.cached_practice().timezone == 'Asia/Tokyo'


def test_messages_are_sent_in_the_stored_practices_name(db: str) -> None:
    _store(name='Lakeside Pediatrics', phone='(555) 010-9999', from_address='billing@lakeside.example.com')
    assert delivery.sender_of(load_practice()) == delivery.email.Sender(
        name='Lakeside Pediatrics', phone='(555) 010-9999', address='billing@lakeside.example.com')


def test_start_up_stores_the_practice_from_the_environment(db: str) -> None:
    from portal.startup import prepare_database
    prepare_database(get_settings())
    with read_session() as session:
        [row] = session.exec(select(PracticeSettings)).all()
    assert (row.name, row.timezone) == (get_settings().practice_name, get_settings().practice_timezone)


def test_start_up_that_seeds_an_empty_database_says_where_the_demo_835s_are(db: str, monkeypatch, capsys) -> None:  # noqa: ANN001
    from portal.services import seed
    from portal.startup import prepare_database
    summary = seed.SeedSummary(patients=3, accounts=1, seed=1, seconds=0.1, password='x',
                               remittance_files=('data/files/demo-835/1-partial.835', 'data/files/demo-835/2-x.835'))
    monkeypatch.setattr(seed, 'seed_demo_if_empty', lambda *, password: summary)
    prepare_database(get_settings().model_copy(update={'env': 'development', 'demo_seed': True}))
    assert 'Demo 835 remittances to import (python -m portal import-835 …, or /staff/remittances): ' \
           'data/files/demo-835/1-partial.835, data/files/demo-835/2-x.835' in capsys.readouterr().out
