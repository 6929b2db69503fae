"""Every 10 minutes: reconcile payment attempts still pending with the gateway
(portal.services.payments.reconcile). The scheduler's runs.execute records the run and its count."""
from __future__ import annotations

from portal.services.payments.reconcile import reconcile_pending


def run() -> int:
    """How many pending attempts were settled (posted or failed)."""
    return reconcile_pending()
