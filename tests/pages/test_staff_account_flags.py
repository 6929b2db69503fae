"""Staff see a patient's billing dispute and a card chargeback as two different flags (issue 11, item 4)."""
from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from portal.db import write_session
from portal.models import AccountFlag, FlagKind
from tests.factories import make_account
from tests.pages.conftest import DEMO_STAFF, sign_in


async def test_the_two_dispute_kinds_have_their_own_labels(user: User) -> None:
    account, _ = make_account()
    with write_session() as session:
        session.add(AccountFlag(account_id=account.id, kind=FlagKind.chargeback,
                                reason='Card dispute dp_1 on receipt R-1'))
        session.add(AccountFlag(account_id=account.id, kind=FlagKind.dispute,
                                reason='charge 7 disputed by the patient'))
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/accounts/{account.id}')
    await user.should_see(marker='flag')
    shown = sorted(label.text for label in user.find(kind=ui.label, marker='flag').elements)
    assert shown == ['Billing dispute: charge 7 disputed by the patient',
                     'Card chargeback: Card dispute dp_1 on receipt R-1']
