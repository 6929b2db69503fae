"""A saved payment method's one label and one query: how every page, receipt and question names a saved
method ("Visa ending 4242", "Bank account ending 6789"), and which of an account's saved methods can be
charged (not removed, saved with the gateway in use, the default first)."""
from __future__ import annotations

from typing import Protocol

from sqlmodel import Session, col, select

from portal.models import SavedPaymentMethod
from portal.payments.registry import gateway

BANK = 'us_bank_account'


class Described(Protocol):
    kind: str  # 'card' or 'us_bank_account'
    brand: str  # 'visa', ... ('' for a bank account)
    last4: str
    bank_name: str


def method_label(method: Described) -> str:
    """'Visa ending 4242' for a card (its brand, 'Card' when unknown), 'First Bank ending 6789' for a
    bank account ('Bank account' when the bank is unknown)."""
    if method.kind == BANK:
        return f'{method.bank_name or "Bank account"} ending {method.last4}'
    return f'{(method.brand or "Card").title()} ending {method.last4}'


def usable_methods(session: Session, /, account_id: int) -> list[SavedPaymentMethod]:
    """The account's saved methods that the gateway in use can charge: not removed, default first, then
    oldest first."""
    return list(session.exec(select(SavedPaymentMethod).where(
        SavedPaymentMethod.account_id == account_id, col(SavedPaymentMethod.removed_at).is_(None),
        SavedPaymentMethod.gateway == gateway().name)
        .order_by(col(SavedPaymentMethod.is_default).desc(), col(SavedPaymentMethod.id))).all())
