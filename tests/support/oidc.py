"""A real OpenID provider for the single sign-on tests: the npm package `oidc-provider` (installed by
scripts/setup) run by Node on loopback from `oidc_provider.mjs`, in its own process group; and a browser
stand-in that walks its login form (`log_in`), so a test drives the whole code flow over HTTP."""
from __future__ import annotations

import json
import os
import re
import shutil
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from tests.support.servers import ROOT, ServerHandle, clean_env, free_port, start_process

SCRIPT = Path(__file__).with_name('oidc_provider.mjs')


class ProviderMissing(RuntimeError):
    pass


@dataclass
class Provider:
    handle: ServerHandle
    issuer_path: str = ''

    @property
    def issuer(self) -> str:
        return self.handle.base_url + self.issuer_path

    def stop(self) -> None:
        self.handle.stop()


def start_provider(tmp: Path, *, clients: list[dict], accounts: dict[str, dict], issuer_path: str = '') -> Provider:
    """`issuer_path` ends the issuer's name ('/': 'http://127.0.0.1:PORT/', as some providers write it)."""
    node = shutil.which('node')
    module = os.environ.get('SETTLE_OIDC_PROVIDER_MODULE', '')  # a copy outside the repository, if any
    if node is None or not (module or (ROOT / 'node_modules' / 'oidc-provider').is_dir()):
        raise ProviderMissing('node or the npm package oidc-provider is missing: run scripts/setup (npm ci)')
    port = free_port()
    env = {**clean_env(), 'PORT': str(port), 'CLIENTS': json.dumps(clients), 'ACCOUNTS': json.dumps(accounts)}
    if module:
        env['OIDC_PROVIDER_MODULE'] = module
    if issuer_path:
        env['ISSUER_PATH'] = issuer_path
    handle = start_process([node, str(SCRIPT)], cwd=ROOT, log_path=tmp / 'oidc-provider.log', env=env,
                           base_url=f'http://127.0.0.1:{port}')
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(handle.url('/.well-known/openid-configuration'), timeout=1) as answer:
                if answer.status == 200:
                    return Provider(handle, issuer_path)
        except OSError:
            time.sleep(0.1)
        if not handle.alive():
            break
    handle.stop()
    raise RuntimeError('oidc-provider did not start:\n' + handle.log_tail())


def log_in(authorize_url: str, *, sub: str, amr: str = '', acr: str = '', stop_at: str) -> str:
    """Follow the provider's redirects from the authorization URL, submit its login form as `sub`, and return
    the first URL that leaves the provider (starting with `stop_at`: the app's callback with code and state)."""
    with httpx.Client(timeout=10) as browser:
        url = authorize_url
        for _ in range(12):
            if url.startswith(stop_at):
                return url
            answer = browser.get(url)
            page = answer.text if answer.status_code == 200 else ''
            action = re.search(r'<form method="post" action="([^"]+)"', page)
            if action is not None:
                form = {'sub': sub, 'amr': amr, 'acr': acr}
                answer = browser.post(urljoin(url, action.group(1)),
                                      data={key: value for key, value in form.items() if value})
            if answer.status_code not in (302, 303):
                raise AssertionError(f'the provider answered {answer.status_code}: {answer.text[:300]}')
            url = urljoin(url, answer.headers['location'])
    raise AssertionError('the provider never sent the browser back')
