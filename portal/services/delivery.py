"""Sending the outbox: the notify senders (email over SMTP, texts through the SMS provider), told by
services whether each message is still wanted (`due.suppression_reason`) and given the fields made
only as a message is sent (`send_time.complete`). Returns how many were sent."""
from __future__ import annotations

from portal.notify import email, texts
from portal.services.due import suppression_reason
from portal.services.practice import practice_zone
from portal.services.send_time import complete


def deliver_pending(limit: int = 100) -> int:
    """Send due email notifications (when PORTAL_SMTP_URL is set); see portal.notify.email.deliver_pending."""
    return email.deliver_pending(limit, still_wanted=suppression_reason, send_time_fields=complete)


def deliver_pending_sms(limit: int = 100) -> int:
    """Send due texts through the configured provider; see portal.notify.texts.deliver_pending_sms."""
    return texts.deliver_pending_sms(limit, still_wanted=suppression_reason, zone_of=practice_zone)
