"""Fields a message gets only as it is sent: a secret (a password-reset link) never waits in the outbox.

The queued row names its subject in the dedupe key ('password_reset:<reset row id>'); the sender asks
here for the rest of the context just before rendering.
"""
from __future__ import annotations

from portal.notify import templates


class NoLongerValid(ValueError):
    """The secret can no longer be made (the reset was used or expired): the message is not sent."""


def complete(template: str, dedupe_key: str, context: dict[str, object]) -> dict[str, object]:
    """`context` plus the template's send-time fields; raises NoLongerValid."""
    if not templates.get(template).send_time:
        return context
    if template == 'password_reset':
        from portal.services.password_reset import mint_link
        subject = dedupe_key.partition(':')[2]
        link = mint_link(int(subject)) if subject.isdigit() else None
        if link is None:
            raise NoLongerValid('the reset expired or was used before the message went out')
        return {**context, 'link': link}
    if template == 'staff_invite':
        from portal.services.identity.staff import mint_invite_link
        subject = dedupe_key.partition(':')[2]
        link = mint_invite_link(int(subject)) if subject.isdigit() else None
        if link is None:
            raise NoLongerValid('the invitation expired, was revoked or was used before the message went out')
        return {**context, 'link': link}
    raise ValueError(f'no send-time fields for {template!r}')
