"""GET /auth/session: the HTTP step that ends a sign-in, an MFA check or a password change.

It redeems the one-time token (portal.services.session_handoff), gives the browser a new browser id
(a freshly signed session cookie), puts only the auth dict into that id's storage and empties the
old id's storage, so a cookie captured before the step opens nothing. Works with NiceGUI's file
storage and with its Redis storage (several processes).
"""
from __future__ import annotations

import uuid
from typing import Any

from nicegui import app, run
from nicegui.persistence import PersistentDict, RedisPersistentDict
from nicegui.persistence.serialization import dumps
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from components.session import AUTH_KEY
from portal.services import session_handoff

PATH = '/auth/session'


async def take_over(request: Request, token: str = '') -> Response:
    old_id = str(request.session.get('id', ''))
    handoff = await run.io_bound(session_handoff.redeem, token=token, browser_id=old_id)
    if handoff is None:  # too slow, used twice or from another browser: sign in again
        return RedirectResponse('/?reason=sign-in-expired', status_code=303)
    await move_session(request, old_id, handoff.auth)
    return RedirectResponse(handoff.next_path or '/', status_code=303)


async def move_session(request: Request, old_id: str, auth: dict[str, Any]) -> None:
    """Issue a new browser id holding `auth` and nothing else; leave the old id's storage empty."""
    # NiceGUI has no public API to reach a storage other than the request's own browser id
    storages: dict[str, PersistentDict] = app.storage._users  # noqa: SLF001
    old = storages.get(old_id)
    if old is not None:
        old.clear()
        await _persist(old)
    new_id = str(uuid.uuid4())
    request.session['id'] = new_id  # Starlette's SessionMiddleware signs a new cookie with it
    await app.storage._create_user_storage(new_id)  # noqa: SLF001
    storages[new_id][AUTH_KEY] = auth
    await _persist(storages[new_id])


async def _persist(storage: PersistentDict) -> None:
    """Write a Redis-backed storage before the redirect goes out (NiceGUI writes it in the background),
    so the next request sees it on any process; file storage is read from this process's memory."""
    if not isinstance(storage, RedisPersistentDict):
        return
    data = dumps(storage, storage.key)
    if storage:
        await storage.redis_client.set(storage.key, data, ex=storage.ttl)
    else:
        await storage.redis_client.delete(storage.key)
    await storage.redis_client.publish(storage.key + 'changes', data)  # other processes drop their copy


def register() -> None:
    app.get(PATH, include_in_schema=False)(take_over)
