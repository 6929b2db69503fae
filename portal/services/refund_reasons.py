"""Why money went back to a patient: the reasons staff choose from, each with the plain words the
patient reads beside the refund (receipt, statement, home). A reason typed under "Other" is shown
as typed, so the dialog asks staff to write it for the patient."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

AT_THE_GATEWAY = 'Refunded at the gateway'  # a refund made in the gateway's dashboard, not through us
REASONS = {  # what staff choose (stored, shown in the ledger) -> what the patient reads
    'Overpayment': 'You paid more than you owed, so we sent the extra back.',
    'Duplicate payment': 'You paid the same bill twice, so we sent one payment back.',
    'Insurance paid': 'Your insurance paid after you did, so we sent back what you no longer owe.',
    'Billing correction': 'We corrected your bill and sent back the difference.',
    'Courtesy refund': 'The practice sent this back to you as a courtesy.',
}
GENERIC = 'The billing office sent this money back to you.'


def plain_reason(reason: str) -> str:
    """What the patient reads for a stored refund reason."""
    if reason == AT_THE_GATEWAY or not reason.strip():
        return GENERIC
    return REASONS.get(reason, reason)


@dataclass(frozen=True)
class RefundLine:
    """A refund as the patient sees it."""
    on: date  # the practice's day it posted
    amount: int  # minor units
    why: str  # plain words (plain_reason)
