"""A person's display name is written in one place (services.person_names)."""
from __future__ import annotations

from types import SimpleNamespace

from sqlmodel import select

from portal.db import read_session
from portal.models import GuarantorAccount
from portal.services.person_names import full_name, guarantor_name, searchable_guarantor_name
from tests.factories import make_account


def test_full_name_skips_missing_parts() -> None:
    assert full_name('Maria', 'Lopez') == 'Maria Lopez'
    assert full_name(' Maria ', '') == 'Maria' and full_name(None, 'Lopez') == 'Lopez' and full_name('', '') == ''


def test_a_guarantor_is_named_from_an_account_or_a_row() -> None:
    assert guarantor_name(SimpleNamespace(guarantor_first_name='Thị Minh', guarantor_last_name='Nguyễn')) == \
        'Thị Minh Nguyễn'


def test_the_search_column_matches_the_shown_name(db: str) -> None:
    account, _ = make_account(guarantor_first_name='Maria', guarantor_last_name='Lopez')
    with read_session() as session:
        found = session.exec(select(GuarantorAccount).where(searchable_guarantor_name().like('%maria lopez%'))).all()
    assert [row.id for row in found] == [account.id] and guarantor_name(found[0]).lower() == 'maria lopez'
