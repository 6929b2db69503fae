"""A real server refuses 50 MiB bodies (declared, and chunked without a length) with 413, and its memory
stays flat while they stream in."""
from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import ServerHandle, start_portal

MIB = 1024 * 1024
CHUNK = b'x' * MIB


@pytest.fixture(scope='module')
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    server = start_portal(tmp_path_factory.mktemp('body-limits'), PORTAL_DEMO_SEED='false')
    try:
        yield server
    finally:
        server.stop()


def rss_bytes(pid: int) -> int:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) * 1024
    raise AssertionError('no VmRSS')


def post(server: ServerHandle, path: str, *, chunked: bool, size: int = 50 * MIB) -> int:
    """POST `size` bytes of body; the status the server answered (it may stop reading early)."""
    connection = http.client.HTTPConnection('127.0.0.1', server.port, timeout=30)
    try:
        connection.putrequest('POST', path)
        connection.putheader('Content-Type', 'application/json')
        if chunked:
            connection.putheader('Transfer-Encoding', 'chunked')
        else:
            connection.putheader('Content-Length', str(size))
        connection.endheaders()
        try:
            for start in range(0, size, MIB):
                piece = CHUNK[:min(MIB, size - start)]
                connection.send(b'%x\r\n%s\r\n' % (len(piece), piece) if chunked else piece)
            if chunked:
                connection.send(b'0\r\n\r\n')
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: exactly what a refusal looks like
        return connection.getresponse().status
    finally:
        connection.close()


# a page takes no POST: with a length it is refused at once, without one its 405 comes before any read
@pytest.mark.parametrize(('path', 'chunked_status'), [('/webhooks/stripe', 413), ('/pay', 405)])
def test_50_mib_bodies_get_413_and_memory_stays_flat(portal: ServerHandle, path: str, chunked_status: int) -> None:
    post(portal, path, chunked=False, size=1000)  # warm the route up before measuring
    before = rss_bytes(portal.pid)
    for chunked in (False, True, False, True):
        assert post(portal, path, chunked=chunked) == (chunked_status if chunked else 413), (path, chunked)
    growth = rss_bytes(portal.pid) - before
    assert growth < 16 * MIB, f'the server grew by {growth / MIB:.0f} MiB taking refused bodies'
    assert portal.alive()
