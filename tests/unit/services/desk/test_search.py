"""Staff search (issue 17, item 1): names with accents and case ignored, a dependent's first name, dates
of birth in common formats, phone with punctuation, email, account number, MRN; and input that must not
break it or match everything."""
from __future__ import annotations

from datetime import date

import pytest

from portal.auth.permissions import Actor
from portal.db import write_session
from portal.errors import NotFound
from portal.services.desk import search
from tests.factories import make_account, make_user


@pytest.fixture
def accounts(db: str) -> dict:
    sofia, _ = make_account(guarantor_first_name='Sofía', guarantor_last_name='Álvarez', email='Sofia.A@Example.com',
                            phone='(512) 555-0147', patients=[
                                {'first_name': 'Sofía', 'last_name': 'Álvarez', 'date_of_birth': date(1984, 3, 15),
                                 'mrn': 'MRN7781'},
                                {'first_name': 'Mateo', 'last_name': 'Álvarez', 'date_of_birth': date(2015, 7, 2)}])
    other, _ = make_account(guarantor_first_name='Alvin', guarantor_last_name='Smith', phone='512-555-9999',
                            patients=[{'first_name': 'Ann', 'last_name': 'Smith', 'date_of_birth': date(1970, 1, 1)}])
    staff = make_user(role='staff')
    return {'sofia': sofia.id, 'sofia_number': sofia.account_number, 'other': other.id,
            'staff': Actor(staff.id, 'staff')}


def _found(accounts: dict, query: str) -> list[int]:
    with write_session() as session:
        return [hit.id for hit in search.search_accounts(session, actor=accounts['staff'], query=query).hits]


@pytest.mark.parametrize('query', ['sofia alvarez', 'SOFIA ALVAREZ', 'Sofía Álvarez', 'alvarez, sofia', 'alvarez',
                                   'alva', 'sofia a'])
def test_guarantor_name_ignores_accents_case_and_order(accounts: dict, query: str) -> None:
    assert _found(accounts, query) == [accounts['sofia']]


def test_a_dependents_first_name_finds_the_account(accounts: dict) -> None:
    assert _found(accounts, 'mateo') == [accounts['sofia']]
    assert _found(accounts, 'Mateo Alvarez') == [accounts['sofia']]


@pytest.mark.parametrize('query', ['07/02/2015', '7/2/2015', '2015-07-02', '07-02-2015', '07022015', '7/2/15',
                                   'July 2, 2015'])
def test_date_of_birth_in_common_formats(accounts: dict, query: str) -> None:
    assert _found(accounts, query) == [accounts['sofia']]


@pytest.mark.parametrize('query', ['(512) 555-0147', '512.555.0147', '5125550147', '+1 512 555 0147'])
def test_phone_with_punctuation(accounts: dict, query: str) -> None:
    assert _found(accounts, query) == [accounts['sofia']]


def test_email_account_number_and_mrn(accounts: dict) -> None:
    assert _found(accounts, 'sofia.a@example.COM') == [accounts['sofia']]
    assert _found(accounts, accounts['sofia_number'].lower()) == [accounts['sofia']]
    assert _found(accounts, 'mrn7781') == [accounts['sofia']]


def test_hits_show_patients_balance_and_flags(accounts: dict) -> None:
    with write_session() as session:
        [hit] = search.search_accounts(session, actor=accounts['staff'], query='mateo').hits
    assert [p.name for p in hit.patients] == ['Sofía Álvarez', 'Mateo Álvarez']
    assert hit.guarantor == 'Sofía Álvarez' and hit.balance == 0 and hit.flags == ()


@pytest.mark.parametrize('query', ['%', '_', "'", '"', "o'; drop table patient; --", 'a' * 500, '😀', '%%%',
                                   's%z', 'a_v', '', '   '])
def test_wildcards_quotes_long_text_and_emoji_match_nothing(accounts: dict, query: str) -> None:
    assert _found(accounts, query) == []


def test_a_patient_cannot_search(accounts: dict) -> None:
    patient = make_user(role='patient')
    with pytest.raises(NotFound), write_session() as session:
        search.search_accounts(session, actor=Actor(patient.id, 'patient'), query='alvarez')


def test_parse_birth_date() -> None:
    assert search.parse_birth_date('3/15/84') == date(1984, 3, 15)
    assert search.parse_birth_date('15/03/1984') is None
    assert search.parse_birth_date('1984-02-30') is None


def test_a_lone_letter_matches_nothing(accounts: dict) -> None:
    assert _found(accounts, 's') == [] and _found(accounts, 'so') == [accounts['sofia']]


@pytest.mark.parametrize(('name', 'typed'), [('Søren', 'soren'), ('Ægir', 'aegir'), ('Đorđe', 'dorde'),
                                             ('Łukasz', 'lukasz'), ('Þóra', 'thora')])
def test_letters_without_a_separate_accent_are_found_typed_plain(db: str, name: str, typed: str) -> None:
    account, _ = make_account(guarantor_first_name='Nancy', guarantor_last_name='Allen', patients=[
        {'first_name': name, 'last_name': 'Allen', 'date_of_birth': date(2016, 7, 25)}])
    staff = make_user(role='staff')
    with write_session() as session:
        hits = search.search_accounts(session, actor=Actor(staff.id, 'staff'), query=f'{typed} allen').hits
    assert [hit.id for hit in hits] == [account.id]


def test_a_hold_past_its_expiry_is_no_longer_shown_as_a_flag(db: str) -> None:
    """Statement runs stop holding after the expiry day; search and the account page must not still say 'hold'."""
    from datetime import timedelta

    from portal.models import AccountFlag, FlagKind
    from portal.services.desk import account as desk
    from portal.services.practice import practice_today

    holder, _ = make_account(guarantor_first_name='Hilda', guarantor_last_name='Holt', patients=[
        {'first_name': 'Hilda', 'last_name': 'Holt', 'date_of_birth': date(1960, 2, 2)}])
    staff = Actor(make_user(role='staff').id, 'staff')
    with write_session() as session:
        today = practice_today(session)
        session.add(AccountFlag(account_id=holder.id, kind=FlagKind.statement_hold, reason='ran out',
                                expires_on=today - timedelta(days=1)))
        session.add(AccountFlag(account_id=holder.id, kind=FlagKind.dispute, reason='still open',
                                expires_on=today + timedelta(days=3)))
    with write_session() as session:
        hit, = search.search_accounts(session, actor=staff, query='hilda holt').hits
        view = desk.desk_account(session, actor=staff, account_id=holder.id)
    assert hit.flags == (FlagKind.dispute.label,)
    assert [flag.kind for flag in view.flags] == [FlagKind.dispute.label]


@pytest.mark.parametrize('typed', ["O'Brien", 'obrien', 'OBrien', 'Jurgen OBrien', 'jürgen o’brien', "o'bri"])
def test_a_name_with_an_apostrophe_is_found_with_or_without_it(db: str, typed: str) -> None:
    account, _ = make_account(guarantor_first_name='Jürgen', guarantor_last_name="O'Brien", patients=[
        {'first_name': 'Jürgen', 'last_name': "O'Brien", 'date_of_birth': date(1971, 5, 31)}])
    staff = make_user(role='staff')
    with write_session() as session:
        hits = search.search_accounts(session, actor=Actor(staff.id, 'staff'), query=typed).hits
    assert [hit.id for hit in hits] == [account.id]
