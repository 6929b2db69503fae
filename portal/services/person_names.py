"""A person's display name, the one way every page, document and queue writes it: the guarantor of an
account ("Maria Lopez"), a user (the payer on a receipt, the profile)."""
from __future__ import annotations

from sqlalchemy import ColumnElement, func

from portal.models import GuarantorAccount


def full_name(first_name: str | None, last_name: str | None) -> str:
    """'Maria Lopez'; either part may be empty ('Maria', 'Lopez', '' when both are)."""
    return ' '.join(part for part in ((first_name or '').strip(), (last_name or '').strip()) if part)


def guarantor_name(account) -> str:  # noqa: ANN001  (a GuarantorAccount or a row with its two name columns)
    """The account's guarantor as shown: 'Maria Lopez'."""
    return full_name(account.guarantor_first_name, account.guarantor_last_name)


def searchable_guarantor_name() -> ColumnElement[str]:
    """The guarantor's name as guarantor_name writes it, in SQL and lower case, for a case-blind LIKE."""
    return func.lower(GuarantorAccount.guarantor_first_name + ' ' + GuarantorAccount.guarantor_last_name)
