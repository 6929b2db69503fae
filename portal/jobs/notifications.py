"""Every minute: send what is due in the notification outbox (email over SMTP, texts through the
SMS provider, each when configured).

Both senders claim each row before sending it and check at send time that the message is still
wanted, so a rerun or a second process never sends one twice and nobody is reminded of a bill they
have paid. Without PORTAL_SMTP_URL (or an SMS provider) messages stay in the outbox for staff to see.
"""
from __future__ import annotations

from portal.config import get_settings


def run() -> int:
    from portal.services.delivery import deliver_pending, deliver_pending_sms
    sent = 0
    if get_settings().smtp_url:
        sent += deliver_pending()
    return sent + deliver_pending_sms()
