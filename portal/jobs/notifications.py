"""Every minute: send what is due in the notification outbox (email over SMTP when configured).

deliver_pending claims each row before sending it, so a rerun or a second process never sends one
twice; without PORTAL_SMTP_URL messages stay in the outbox for staff to see."""
from __future__ import annotations

from portal.config import get_settings


def run() -> int:
    if not get_settings().smtp_url:
        return 0
    from portal.notify.email import deliver_pending
    return deliver_pending()
