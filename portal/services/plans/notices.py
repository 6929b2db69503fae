"""Emails about a payment plan to the account holder: a payment that failed or came back, a bank asking
for confirmation, a method to update. No PHI: a first name, an amount and a link into the portal."""
from __future__ import annotations

from sqlmodel import Session, col, select

from portal.models import AccountAccess, GuarantorAccount, PaymentPlan, User
from portal.models.users import Relationship
from portal.money import format_money
from portal.notify import outbox


def account_recipient(session: Session, /, account_id: int) -> tuple[GuarantorAccount, str, User | None] | None:
    """(account, address, the holder's sign-in) to email the account holder: the account's email, or the
    holder's sign-in email; None when neither is known."""
    account = session.get(GuarantorAccount, account_id)
    if account is None:
        return None
    user = session.exec(select(User).join(AccountAccess, col(AccountAccess.user_id) == User.id).where(
        AccountAccess.account_id == account_id, AccountAccess.relationship == Relationship.self_,
        col(AccountAccess.revoked_at).is_(None))).first()
    recipient = account.email or (user.email if user else None)
    return (account, recipient, user) if recipient else None


def notify_guarantor(session: Session, /, plan: PaymentPlan, template: str, dedupe_key: str, *, amount: int,
                     link: str) -> None:
    """Queue `template` (first_name, amount, link) once per dedupe key to the account's email, or to its
    holder's sign-in email; nothing when neither is known."""
    found = account_recipient(session, plan.account_id)
    if found is None:
        return
    account, recipient, user = found
    outbox.enqueue(session, channel='email', template=template, recipient=recipient, dedupe_key=dedupe_key,
                   context={'first_name': account.guarantor_first_name, 'amount': format_money(amount, plan.currency),
                            'link': link}, user_id=user.id if user else None, account_id=plan.account_id)
