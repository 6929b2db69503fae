"""Paperless statements: an account set to paperless gets an email ("your new statement is
ready", no PHI) instead of paper. The preference lives on the guarantor account."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor, account_relationships, require_account
from portal.errors import ValidationFailed
from portal.models import GuarantorAccount


@dataclass(frozen=True)
class PaperlessChoice:
    account_id: int
    account_number: str
    paperless: bool
    has_email: bool


def paperless_choices(session: Session, /, *, actor: Actor) -> tuple[PaperlessChoice, ...]:
    """The delivery choice of each account the patient may act on."""
    relationships = account_relationships(session, actor.user_id)
    if not relationships:
        return ()
    accounts = session.exec(select(GuarantorAccount).where(col(GuarantorAccount.id).in_(list(relationships)))
                            .order_by(col(GuarantorAccount.account_number)))
    return tuple(PaperlessChoice(account.id, account.account_number, account.paperless, bool(account.email))
                 for account in accounts)


def set_paperless(session: Session, /, *, actor: Actor, account_id: int, paperless: bool) -> None:
    require_account(session, actor, account_id, purpose='set_paperless')
    account = session.get(GuarantorAccount, account_id)
    assert account is not None  # require_account found it
    if paperless and not account.email:
        raise ValidationFailed('Add an email address to your account first: call the billing office.')
    if account.paperless != paperless:
        account.paperless = paperless
        audit.record(session, action='set_paperless', actor_user_id=actor.user_id, actor_role=actor.role,
                     entity_type='account', entity_id=account_id, account_id=account_id, source_ip=actor.ip,
                     detail=f'paperless={paperless}')
