"""A localstripe process for tests (own process group, free loopback port) and a catcher for the
webhooks it delivers."""
from __future__ import annotations

import http.server
import json
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import ROOT, ServerError, clean_env, free_port, start_process

SECRET_KEY = 'sk_test_12345'


@contextmanager
def localstripe(directory: Path) -> Iterator[str]:
    port = free_port()
    handle = start_process([sys.executable, '-m', 'tests.support.localstripe_server', str(port)], cwd=ROOT,
                           log_path=directory / 'localstripe.log', env=clean_env(),
                           base_url=f'http://127.0.0.1:{port}')
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(('127.0.0.1', port)) == 0:
                    break
            if not handle.alive():
                raise ServerError('localstripe exited:\n' + handle.log_tail())
            time.sleep(0.05)
        else:
            raise ServerError('localstripe did not listen:\n' + handle.log_tail())
        yield handle.base_url
    finally:
        handle.stop(grace=3)


class WebhookCatcher:
    """An HTTP endpoint on loopback that records each delivery's raw body and Stripe-Signature header."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[bytes, str]] = []
        catcher = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
                catcher.deliveries.append((body, self.headers.get('Stripe-Signature') or ''))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = f'http://127.0.0.1:{self.server.server_address[1]}/hook'
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def register(self, localstripe_url: str, secret: str, hook_id: str = 'test') -> None:
        data = f'url={self.url}&secret={secret}'.encode()
        urllib.request.urlopen(urllib.request.Request(f'{localstripe_url}/_config/webhooks/{hook_id}', data=data,
                                                      method='POST'), timeout=5).read()

    def types(self) -> list[str]:
        return [json.loads(body)['type'] for body, _ in self.deliveries]

    def matching(self, event_type: str, *needles: bytes) -> list[tuple[bytes, str]]:
        """Deliveries of `event_type` whose body holds every needle (an intent id, an amount)."""
        return [(body, signature) for body, signature in self.deliveries
                if json.loads(body)['type'] == event_type and all(needle in body for needle in needles)]

    def wait_matching(self, event_type: str, *needles: bytes, count: int = 1,
                      timeout: float = 20) -> list[tuple[bytes, str]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.matching(event_type, *needles)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f'no {event_type} with {needles} delivered; got {self.types()}')

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
