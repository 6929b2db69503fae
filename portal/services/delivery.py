"""Sending the outbox: the notify senders (email over SMTP, texts through the SMS provider), told by
services whether each message is still wanted (`due.suppression_reason`), given the fields made
only as a message is sent (`send_time.complete`) and who the messages are from (the stored practice,
`practice.load_practice`). Returns how many were sent."""
from __future__ import annotations

from portal.notify import email, texts
from portal.services.due import suppression_reason
from portal.services.practice import Practice, load_practice, practice_zone
from portal.services.send_time import complete


def sender_of(practice: Practice) -> email.Sender:
    """Who messages are from: the practice's name, phone and from address."""
    return email.Sender(name=practice.name, phone=practice.phone, address=practice.from_address)


def deliver_pending(*, limit: int = 100) -> int:
    """Send due email notifications (when PORTAL_SMTP_URL is set); see portal.notify.email.deliver_pending."""
    return email.deliver_pending(limit, still_wanted=suppression_reason, send_time_fields=complete,
                                 sender=sender_of(load_practice()))


def deliver_pending_sms(*, limit: int = 100) -> int:
    """Send due texts through the configured provider; see portal.notify.texts.deliver_pending_sms."""
    return texts.deliver_pending_sms(limit, still_wanted=suppression_reason, zone_of=practice_zone,
                                     sender=sender_of(load_practice()))
