"""A saved method's label and the query of an account's usable methods have one home
(services.saved_methods): the pay page, plans, the methods page and receipts all use them."""
from __future__ import annotations

from types import SimpleNamespace

from portal.clock import utcnow
from portal.db import write_session
from portal.models import Payment
from portal.services.payments.methods import add_demo_method
from portal.services.payments.receipts import payment_method_label
from portal.services.saved_methods import method_label, usable_methods
from tests.factories import make_account


def _method(**fields: str) -> SimpleNamespace:
    return SimpleNamespace(**{'kind': 'card', 'brand': 'visa', 'last4': '4242', 'bank_name': '', **fields})


def test_labels() -> None:
    assert method_label(_method()) == 'Visa ending 4242'
    assert method_label(_method(brand='')) == 'Card ending 4242'
    assert method_label(_method(kind='us_bank_account', brand='', last4='6789', bank_name='First Bank')) == \
        'First Bank ending 6789'
    assert method_label(_method(kind='us_bank_account', brand='', last4='6789')) == 'Bank account ending 6789'


def test_a_receipt_names_a_saved_method_the_same_way() -> None:
    payment = Payment(account_id=1, amount=100, method='card', status='succeeded', receipt_number='R1')
    assert payment_method_label(payment, _method()) == 'Visa ending 4242'
    bank = _method(kind='us_bank_account', brand='', last4='6789', bank_name='First Bank')
    assert payment_method_label(payment, bank) == 'First Bank ending 6789 (ACH)'


def test_usable_methods_are_the_accounts_own_not_removed_default_first(db: str) -> None:
    account, _ = make_account()
    other, _ = make_account()
    with write_session() as session:
        first = add_demo_method(session, account_id=account.id, is_default=False).id
        default = add_demo_method(session, account_id=account.id, behaviour='bank', is_default=True).id
        removed = add_demo_method(session, account_id=account.id, is_default=False)
        removed.removed_at = utcnow()
        add_demo_method(session, account_id=other.id)
    with write_session() as session:
        assert [row.id for row in usable_methods(session, account.id)] == [default, first]
