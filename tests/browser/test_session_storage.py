"""Session fixation on real servers, with NiceGUI's file storage and with its Redis storage (two
processes sharing one Redis and one database): a cookie copied before sign-in opens nothing after it."""
from __future__ import annotations

import secrets
import socket
import urllib.request
from collections.abc import Iterator

import pytest

from tests.browser.test_journeys import PATIENT, open_sign_in, sign_in
from tests.support.servers import ServerHandle, start_portal, wait_for_demo_data

pytestmark = pytest.mark.browser
REDIS = ('127.0.0.1', 6379)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        return None


def replay(server: ServerHandle, cookie: str, path: str) -> tuple[int, str]:
    """(status, Location) of GET `path` with nothing but the copied session cookie."""
    request = urllib.request.Request(server.url(path), headers={'Cookie': f'session={cookie}'})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:  # loopback only
            return response.status, response.headers.get('Location', '')
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get('Location', '')


@pytest.fixture(params=['file', 'redis'])
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServerHandle]]:
    """One portal on file storage, or two portals sharing a Redis, a database and a storage secret."""
    if request.param == 'file':
        server = start_portal(tmp_path_factory.mktemp('fixation-file'))
        try:
            wait_for_demo_data(server)
            yield [server]
        finally:
            server.stop()
        return
    if not redis_reachable():
        pytest.skip('Redis is not reachable on 127.0.0.1:6379')
    shared = {'PORTAL_REDIS_URL': 'redis://127.0.0.1:6379/0',
              'NICEGUI_REDIS_KEY_PREFIX': f'settle-test-{secrets.token_hex(6)}:',
              'PORTAL_STORAGE_SECRET': secrets.token_urlsafe(32)}
    first_dir = tmp_path_factory.mktemp('fixation-redis-1')
    first = start_portal(first_dir, **shared)
    started = [first]
    try:
        wait_for_demo_data(first)
        started.append(start_portal(tmp_path_factory.mktemp('fixation-redis-2'), PORTAL_DEMO_SEED='false',
                                    PORTAL_DATABASE_URL=first.env['PORTAL_DATABASE_URL'], **shared))
        yield started
    finally:
        for server in started:
            server.stop()
        import redis
        with redis.Redis(*REDIS) as client:
            keys = list(client.scan_iter(match=shared['NICEGUI_REDIS_KEY_PREFIX'] + '*'))
            if keys:
                client.delete(*keys)


def test_a_cookie_copied_before_sign_in_is_signed_out_after_it(chromium, servers) -> None:  # noqa: ANN001
    first = servers[0]
    context = chromium.new_context(base_url=first.base_url)
    try:
        page = context.new_page()
        open_sign_in(page)
        (planted,) = [cookie['value'] for cookie in context.cookies() if cookie['name'] == 'session']
        sign_in(page, PATIENT)
        page.get_by_text('Amount due').first.wait_for()
        (current,) = [cookie['value'] for cookie in context.cookies() if cookie['name'] == 'session']
        assert current != planted
        for server in servers:  # with Redis, the other process must not honour the old cookie either
            for path in ('/profile', '/statements'):
                assert replay(server, planted, path) == (307, f'/?next={path}'), (server.base_url, path)
            assert replay(server, current, '/profile')[0] == 200, server.base_url
    finally:
        context.close()
