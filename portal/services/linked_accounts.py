"""The accounts a signed-in person may act on (permissions.account_relationships), with the label a page
shows for each: the one map the pay page and the saved-methods page pick an account from."""
from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from portal.models import GuarantorAccount


def account_choices(session: Session, /, account_ids: Iterable[int]) -> dict[int, str]:
    """account id -> account number, in id order, for someone linked to several accounts (a picker);
    {} for one or none (nothing to choose)."""
    ids = list(account_ids)
    if len(ids) < 2:
        return {}
    return dict(session.exec(select(GuarantorAccount.id, GuarantorAccount.account_number)
                             .where(col(GuarantorAccount.id).in_(ids)).order_by(col(GuarantorAccount.id))).all())

