"""The opening every signed-in page shares: take the ids from the URL, load the view through a
service as the signed-in person, answer 404 when it is not there (or not theirs), then draw it
inside the frame. A page module says only what differs:

    @ui.page('/statements/{statement_id}', response_timeout=60)
    async def statement_page(statement_id: str) -> None:
        await page.show('Statement', path='/statements', draw=_detail,
                        load=lambda actor: write(statements.find_statement_detail, actor=actor,
                                                 statement_id=page.id_of(statement_id)))
"""
from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from components import not_found, session
from components.calls import read
from components.frame import frame
from portal.auth.permissions import Actor
from portal.errors import NotFound
from portal.services.messaging import inbox

T = TypeVar('T')
ID = re.compile(r'[0-9]{1,18}')  # ASCII digits only ('²'.isdigit() is True); 18 fit a 64-bit column


def parse_id(text: str | None) -> int | None:
    """The id in `text`, or None for anything else (empty, signs, spaces, other scripts, too long)."""
    return int(text) if text is not None and ID.fullmatch(text) else None


def id_of(text: str | None) -> int:
    """The id in `text`; NotFound (the 404 page) for anything else."""
    wanted = parse_id(text)
    if wanted is None:
        raise NotFound()
    return wanted


def optional_id(text: str | None) -> int | None:
    """None for an empty query parameter, the id for a good one, NotFound (the 404 page) otherwise."""
    return id_of(text) if text else None


async def show(title: str, *, path: str, load: Callable[[Actor], Awaitable[T]],
               draw: Callable[[T], Any], none_is_not_found: bool = True) -> None:
    """Load the view as the signed-in actor and draw it in the frame (`path` marks the navigation
    item); NotFound from `load` (a bad or changed id, a refusal) or a None view draws the 404 page.
    `draw` may be async. Pass none_is_not_found=False where None is a view of its own."""
    auth = session.current_auth()
    assert auth is not None  # the middleware lets only signed-in people here
    try:
        view = await load(session.actor())
        badge = None if session.is_staff(auth) else await read(inbox.badge, actor=session.actor())
    except NotFound:
        not_found.content()
        return
    if view is None and none_is_not_found:
        not_found.content()
        return
    with frame(title, auth=auth, path=path, badge=badge):
        drawn = draw(view)
        if inspect.isawaitable(drawn):
            await drawn
