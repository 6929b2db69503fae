"""The one 404 page: an unknown path and a changed id answer the same framed page (status 404) with a
link home, never NiceGUI's default error page; and the one double-submit guard."""
from __future__ import annotations

import asyncio
import re
import threading

from nicegui.testing import User
from sqlmodel import select

from components.not_found import MESSAGE
from portal.db import read_session
from portal.models import GuarantorAccount, Statement
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


async def _the_404_page(user: User, path: str) -> str:
    response = await user.http_client.get(path, follow_redirects=False)
    assert response.status_code == 404, path
    text = response.text
    assert MESSAGE in text and 'Go to your home page' in text, path
    assert 'HTTPException' not in text and "This page doesn't exist" not in text, path  # not NiceGUI's page
    return text


def _someone_elses_statement() -> int:
    with read_session() as session:
        mine = session.exec(select(GuarantorAccount.id).where(GuarantorAccount.account_number == 'A10002026')).one()
        return session.exec(select(Statement.id).where(Statement.account_id != mine)).first()


async def test_unknown_paths_and_changed_ids_show_the_same_framed_page(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    for path in ('/no-such-page', '/statements/1/more', f'/statements/{_someone_elses_statement()}',
                 '/statements/987654321', '/statements/abc', '/messages/987654321', '/documents/receipts/1x.pdf'):
        text = await _the_404_page(user, path)
        assert 'Sign out' in text and 'Payment methods' in text, f'{path}: not inside the frame'


async def test_staff_get_the_same_page_for_unknown_staff_paths(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    for path in ('/staff/no-such-page', '/staff/accounts/987654321', '/statements'):
        text = await _the_404_page(user, path)
        assert 'Statement runs' in text, f'{path}: not inside the staff frame'


async def test_signed_out_visitors_get_the_page_without_the_frame(user: User) -> None:
    text = await _the_404_page(user, '/pay/no-such-page')
    assert 'Sign out' not in text


async def test_the_page_links_home(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see(marker='pay')
    text = await _the_404_page(user, '/no-such-page')
    link = re.search(r'\{"tag":"nicegui-link","text":"Go to your home page"[^{}]*"props":\{[^{}]*\}', text)
    assert link is not None and '"href":"/"' in link.group(0)


async def test_a_second_click_while_the_first_runs_does_nothing(user: User, monkeypatch) -> None:  # noqa: ANN001
    from portal.services.identity import password_changes
    started, release, calls = threading.Event(), threading.Event(), []

    def slow_reset(**kwargs) -> None:  # noqa: ANN003
        calls.append(kwargs['email'])
        started.set()
        release.wait(5)

    monkeypatch.setattr(password_changes, 'request_password_reset', slow_reset)
    await user.open('/forgot')
    user.find(marker='email').type('someone@example.com')
    user.find(marker='submit').click()
    for _ in range(200):  # the first click's handler is now waiting in its worker thread
        if started.is_set():
            break
        await asyncio.sleep(0.01)
    assert started.is_set()
    user.find(marker='submit').click()
    user.find(marker='submit').click()
    release.set()
    await user.should_see('we sent it a link')
    assert calls == ['someone@example.com']
