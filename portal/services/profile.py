"""What the profile page shows about the signed-in person."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import col, select

from portal.auth.permissions import Actor, account_relationships
from portal.db import read_session
from portal.errors import NotFound
from portal.models import GuarantorAccount, User
from portal.services.person_names import full_name, guarantor_name


@dataclass(frozen=True)
class LinkedAccount:
    account_number: str
    guarantor_name: str
    relationship: str


@dataclass(frozen=True)
class ProfileDetails:
    email: str
    name: str
    role: str
    mfa_enrolled: bool
    accounts: list[LinkedAccount] = field(default_factory=list)


def profile_details(*, actor: Actor) -> ProfileDetails:
    with read_session() as session:
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound()
        relationships = account_relationships(session, actor.user_id)
        accounts = session.exec(select(GuarantorAccount).where(col(GuarantorAccount.id).in_(list(relationships)))
                                .order_by(col(GuarantorAccount.account_number))).all() if relationships else []
        return ProfileDetails(
            email=user.email, name=full_name(user.first_name, user.last_name), role=user.role,
            mfa_enrolled=user.totp_enabled_at is not None,
            accounts=[LinkedAccount(account.account_number, guarantor_name(account), relationships[account.id])
                      for account in accounts])
