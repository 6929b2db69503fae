"""What changes a claim's status, and who is told: `record_claim_status` appends the status event (the
timeline on /claims/{id}) and, when a claim is denied with something the patient can do, queues one email
with no PHI ("There is an update about your insurance claim"); `claims_needing_you` counts those claims for
the navigation badge beside "Insurance claims"."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from portal.auth.permissions import Actor, account_relationships
from portal.clock import utcnow
from portal.config import get_settings
from portal.errors import NotFound
from portal.models import Claim, ClaimStatus, ClaimStatusEvent
from portal.notify import outbox
from portal.services.claims import needs_you
from portal.services.plans.notices import account_recipient
from portal.services.receivables import refresh_account

DECISIONS = frozenset({ClaimStatus.paid, ClaimStatus.partially_paid, ClaimStatus.denied, ClaimStatus.reprocessed})


def record_claim_status(session: Session, /, *, claim_id: int, status: ClaimStatus, at: datetime | None = None,
                        code: str = '', refresh: bool = True) -> ClaimStatusEvent:
    """Append a status event to the claim and move the claim to it (a decision also sets `adjudicated_at`).
    The caller (a remittance import, the billing office) has checked its right to do so. A denial the
    patient can act on queues the 'claim_update' email once per event (dedupe key `claim-update:<event id>`)
    to the account holder. The account's charge balances follow (responsibility moves between insurance and
    the patient); `refresh=False` leaves that to the caller, which must then run the money-moved step for the
    claim's account (a remittance import does, once per account, after thousands of statuses). Raises
    NotFound for an unknown claim."""
    claim = session.get(Claim, claim_id)
    if claim is None:
        raise NotFound()
    when = at or utcnow()
    event = ClaimStatusEvent(claim_id=claim_id, status=status, at=when, code=code)
    session.add(event)
    claim.status = status
    if status in DECISIONS:
        claim.adjudicated_at = when
    if refresh:
        session.flush()
        refresh_account(session, claim.account_id)  # a decided claim hands its open charges to the patient
    if status != ClaimStatus.denied:
        return event  # not flushed: an import recording thousands of statuses has the session write them together
    session.flush()  # the email's dedupe key needs the event's id
    if needs_you(session, claim):
        found = account_recipient(session, claim.account_id)
        if found is not None:
            account, recipient, user = found
            outbox.enqueue(session, channel='email', template='claim_update', recipient=recipient,
                           dedupe_key=f'claim-update:{event.id}',
                           context={'first_name': account.guarantor_first_name,
                                    'link': f'{get_settings().public_base_url}/claims'},
                           user_id=user.id if user else None, account_id=claim.account_id)
    return event


def claims_needing_you(session: Session, /, *, actor: Actor) -> int:
    """How many denied claims on this person's accounts have something they can do (0 for staff)."""
    if actor.is_staff:
        return 0
    denied = session.exec(select(Claim).where(
        col(Claim.account_id).in_(list(account_relationships(session, actor.user_id))),
        Claim.status == ClaimStatus.denied)).all()  # most people have none: one cheap query
    return sum(1 for claim in denied if needs_you(session, claim))
