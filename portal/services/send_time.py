"""Fields a message gets only as it is sent: a secret (a password-reset or invitation link) never waits in the
outbox.

The queued row names its subject in the dedupe key ('password_reset:<reset row id>'); the sender asks
here for the rest of the context just before rendering.
"""
from __future__ import annotations

from collections.abc import Callable

from portal.notify import templates


class NoLongerValid(ValueError):
    """The secret can no longer be made (the reset was used or expired): the message is not sent."""


def _minters() -> dict[str, Callable[[int], str | None]]:
    """Template -> the function making its link for the row named in the dedupe key (None: no longer valid)."""
    from portal.services.identity.staff import mint_invite_link
    from portal.services.password_reset import mint_link
    return {'password_reset': mint_link, 'staff_invite': mint_invite_link}


def complete(template: str, dedupe_key: str, context: dict[str, object]) -> dict[str, object]:
    """`context` plus the template's send-time fields; raises NoLongerValid."""
    if not templates.get(template).send_time:
        return context
    mint = _minters().get(template)
    if mint is None:
        raise ValueError(f'no send-time fields for {template!r}')
    subject = dedupe_key.partition(':')[2]
    link = mint(int(subject)) if subject.isdigit() else None
    if link is None:
        raise NoLongerValid(f'the {template} link expired or was used before the message went out')
    return {**context, 'link': link}
