"""The notification outbox: a message is a row with a unique dedupe key, stored before any send.

Use-cases enqueue inside their own transaction, so a message exists exactly when the change that
caused it was committed; `portal.services.delivery.deliver_pending` sends later.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from portal.clock import utcnow
from portal.db import insert_row, savepoint_for_statement
from portal.models import Notification
from portal.notify import templates

CHANNELS = frozenset({'email', 'sms'})
_ALWAYS_ALLOWED = frozenset({'practice', 'practice_phone'})


def enqueue(session: Session, *, channel: str, template: str, recipient: str, dedupe_key: str,
            context: dict[str, object], user_id: int | None = None, account_id: int | None = None,
            send_after: datetime | None = None) -> Notification | None:
    """Add a message to the outbox; None (and no second row) when the dedupe key is already there.

    The context may hold only the template's declared fields (no PHI can ride along), and none of
    its send-time fields (secrets such as a reset link are made by the sender); a mistake there is a
    programming error and raises ValueError.
    """
    if channel not in CHANNELS:
        raise ValueError(f'unknown channel {channel!r}')
    chosen = templates.get(template)
    unexpected = set(context) - chosen.fields - _ALWAYS_ALLOWED
    if unexpected:
        raise ValueError(f'template {template!r} does not take {sorted(unexpected)}')
    if set(context) & chosen.send_time:
        raise ValueError(f'template {template!r} gets {sorted(chosen.send_time)} only when it is sent')
    context_json = json.dumps(context, default=str, sort_keys=True)
    if len(context_json) > 4000 or len(dedupe_key) > 160 or len(recipient) > 254:
        raise ValueError('notification too large for the outbox')

    session.flush()  # the check and the insert below bypass the session
    connection = session.connection()
    if connection.execute(_KEY_TAKEN, {'key': dedupe_key}).first() is not None:
        return None
    notification = Notification(channel=channel, template=template, recipient=recipient, user_id=user_id,
                                account_id=account_id, dedupe_key=dedupe_key, context_json=context_json,
                                send_after=send_after or utcnow())
    try:
        with savepoint_for_statement(connection):  # a concurrent writer may have added the same key meanwhile
            insert_row(session, notification)
    except IntegrityError:
        return None
    return notification


_KEY_TAKEN = select(Notification.id).where(Notification.dedupe_key == bindparam('key'))


def context_of(notification: Notification) -> dict[str, object]:
    return json.loads(notification.context_json or '{}')
