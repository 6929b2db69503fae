"""Request bodies over their route's limit get 413 before anything buffers them."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from nicegui.testing import User

from pages.body_limits import DEFAULT_LIMIT, UPLOAD_MAX_FILE_BYTES, limit_for

MIB = 1024 * 1024
FIFTY_MIB = 50 * MIB


class Body:
    """A 50 MiB body sent 1 MiB at a time, counting how much of it the server pulled."""

    def __init__(self, size: int = FIFTY_MIB, chunk: int = MIB) -> None:
        self.size, self.chunk = size, chunk
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.size:
            self.pulled += self.chunk
            yield b'x' * self.chunk


@pytest.mark.parametrize('path', ['/webhooks/stripe', '/webhooks/sms', '/', '/_nicegui_ws/socket.io/',
                                  '/_nicegui/client/abc/upload/1'])
async def test_a_declared_50_mib_body_is_refused_before_a_byte_is_read(user: User, path: str) -> None:
    body = Body()
    response = await user.http_client.post(path, content=body, headers={'Content-Length': str(FIFTY_MIB)})
    assert response.status_code == 413
    assert body.pulled == 0


async def test_a_chunked_body_without_length_is_cut_off_at_the_limit(user: User) -> None:
    body = Body()
    response = await user.http_client.post('/webhooks/stripe', content=body)  # no Content-Length: chunked
    assert 'content-length' not in response.request.headers
    assert response.status_code == 413
    assert body.pulled == MIB  # the first chunk passed the 512 KiB limit: the other 49 MiB were never read


@pytest.mark.parametrize('path', ['/webhooks/sms', '/', '/profile', '/auth/session'])
async def test_no_route_reads_more_of_a_chunked_body_than_its_limit(user: User, path: str) -> None:
    body = Body()
    response = await user.http_client.post(path, content=body)
    assert response.status_code != 200
    assert body.pulled <= limit_for(path) + MIB  # the limit, plus the chunk that passed it


async def test_bodies_within_their_limit_still_reach_the_routes(user: User) -> None:
    response = await user.http_client.post('/webhooks/stripe', content=b'{}', headers={'Stripe-Signature': 'x'})
    assert response.status_code == 400  # the handler's own answer: bad signature
    chunked = Body(size=256 * 1024, chunk=64 * 1024)
    response = await user.http_client.post('/webhooks/stripe', content=chunked)
    assert response.status_code == 400


def test_each_route_has_a_limit_suited_to_it() -> None:
    assert limit_for('/webhooks/stripe') == 512 * 1024
    assert limit_for('/webhooks/sms') == 16 * 1024
    assert limit_for('/pay') == DEFAULT_LIMIT == 64 * 1024
    assert UPLOAD_MAX_FILE_BYTES < limit_for('/_nicegui/client/c1/upload/7') < UPLOAD_MAX_FILE_BYTES + MIB
    assert limit_for('/_nicegui/client/c1/upload/7/x') == DEFAULT_LIMIT


def test_the_upload_field_refuses_big_files_in_the_browser_with_a_message() -> None:
    from nicegui import ui

    from components import uploads
    with ui.element():  # a detached slot is enough to build the element
        field = uploads.file_upload('Insurance card', on_upload=lambda _: None)
    assert field.props['max-file-size'] == uploads.UPLOAD_MAX_FILE_BYTES == UPLOAD_MAX_FILE_BYTES
    assert limit_for(field.props['url']) > uploads.UPLOAD_MAX_FILE_BYTES  # the server lets such a file in
    assert '10 MB' in uploads.TOO_LARGE
