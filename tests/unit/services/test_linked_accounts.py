"""The accounts a person may pick between, with their labels, come from one function
(services.linked_accounts.account_choices), used by the pay page and the saved-methods page."""
from __future__ import annotations

from portal.auth.permissions import Actor
from portal.db import write_session
from portal.models import AccountAccess
from portal.services.linked_accounts import account_choices
from portal.services.payments.checkout import pay_context
from portal.services.payments.methods import methods_context
from tests.factories import make_account, make_user


def test_several_accounts_are_offered_in_order_one_is_not(db: str) -> None:
    first, _ = make_account(account_number='A200001')
    second, _ = make_account(account_number='A200002')
    user = make_user(account=second)
    with write_session() as session:
        assert account_choices(session, [first.id]) == {} and account_choices(session, []) == {}
        assert list(account_choices(session, [second.id, first.id]).items()) == [
            (first.id, 'A200001'), (second.id, 'A200002')]
        session.add(AccountAccess(user_id=user.id, account_id=first.id, relationship='parent'))
    actor = Actor(user_id=user.id, role='patient')
    with write_session() as session:
        expected = {first.id: 'A200001', second.id: 'A200002'}
        assert pay_context(session, actor).accounts == expected
        assert methods_context(session, actor).accounts == expected
