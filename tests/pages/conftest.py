"""Page tests: NiceGUI's `user` fixture re-runs main.py for each test on a copy of one seeded
SQLite template (migrated and seeded once per session)."""
from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from nicegui.testing import User

from portal.config import DEFAULT_DEMO_PASSWORD, reload_settings
from portal.db import dispose_engine, init_engine, migrate

DEMO_PATIENT = 'patient@example.com'
DEMO_STAFF = 'staff@example.com'
PASSWORD = DEFAULT_DEMO_PASSWORD


@pytest.fixture(scope='session')
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from portal.services.seed import seed_database
    path = tmp_path_factory.mktemp('seeded') / 'seeded.db'
    url = f'sqlite:///{path}'
    init_engine(url)
    try:
        migrate()
        seed_database(patients=60, seed=7, password=PASSWORD)
    finally:
        dispose_engine()
    return path


@pytest.fixture(autouse=True)
def page_database(seeded_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Runs before the `user` fixture starts main.py: point it at a fresh copy of the template."""
    target = tmp_path / f'{uuid.uuid4().hex}.db'
    shutil.copyfile(seeded_template, target)
    url = f'sqlite:///{target}'
    monkeypatch.setenv('PORTAL_DATABASE_URL', url)
    monkeypatch.setenv('PORTAL_SCHEDULER', 'off')
    monkeypatch.setenv('PORTAL_DEMO_SEED', 'false')
    monkeypatch.setenv('PORTAL_ENV', 'test')
    reload_settings()
    yield url
    dispose_engine()
    reload_settings()


async def sign_in(user: User, email: str, password: str = PASSWORD) -> None:
    await user.open('/')
    user.find(marker='email').type(email)
    user.find(marker='password').type(password)
    user.find(marker='submit').click()


@pytest.fixture(autouse=True)
def patient_should_see(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages load their data in a worker thread and sign-in hashes a password: give `should_see`
    up to 3 s (instead of 0.3 s) before it decides an element is not there."""
    original = User.should_see

    async def should_see(self: User, *args, retries: int = 30, **kwargs) -> None:  # noqa: ANN002, ANN003
        await original(self, *args, retries=retries, **kwargs)

    monkeypatch.setattr(User, 'should_see', should_see)


@pytest.fixture(autouse=True)
def events_carry_their_page_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """A browser's event runs with the request of the page that drew the element (NiceGUI's
    `Element._handle_event`); the simulated click and trigger skip that and keep the request the test
    task saw last. Sign-in hands the browser a new id, so the two differ: run them like the browser."""
    from nicegui.storage import request_contextvar
    from nicegui.testing.user_interaction import UserInteraction

    def with_page_request(method):  # noqa: ANN001, ANN202
        def run(self: UserInteraction, *args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            if self.user.client is not None and self.user.client.request is not None:
                request_contextvar.set(self.user.client.request)
            return method(self, *args, **kwargs)
        return run

    for name in ('click', 'trigger'):
        monkeypatch.setattr(UserInteraction, name, with_page_request(getattr(UserInteraction, name)))


@pytest.fixture
async def user(user: User) -> User:  # noqa: F811  (wraps NiceGUI's fixture of the same name)
    """NiceGUI's user, once start-up (migrations, seeding) has finished: until then pages answer 503."""
    from pages.system import Readiness
    for _ in range(400):
        if Readiness.ready:
            break
        await asyncio.sleep(0.025)
    assert Readiness.ready, 'the app did not finish starting'
    return user
