"""Forgotten password: the same answer for any email, a single-use emailed link, a new password."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

from nicegui.testing import User
from sqlmodel import select

from portal.db import read_session
from portal.models import Notification
from tests.pages.conftest import DEMO_PATIENT, sign_in

NEW_PASSWORD = 'juniper-glacier-pocket-58'
SENT = 'If an account uses that address, we sent it a link'


def reset_link() -> str:
    """The link as the mail sender renders it into the message (the outbox row holds none)."""
    from portal.services import send_time
    with read_session() as session:
        note = session.exec(select(Notification).where(Notification.template == 'password_reset')).one()
    stored = json.loads(note.context_json)
    assert 'link' not in stored and 'token' not in note.context_json
    return str(send_time.complete(note.template, note.dedupe_key, stored)['link'])


async def test_reset_by_emailed_link_then_sign_in_with_the_new_password(user: User) -> None:
    await user.open('/forgot')
    user.find(marker='email').type(DEMO_PATIENT)
    user.find(marker='submit').click()
    await user.should_see(SENT)
    link = urlparse(reset_link())
    token = parse_qs(link.query)['token'][0]

    await user.open(f'/reset?token={token}')
    user.find(marker='password').type(NEW_PASSWORD)
    user.find(marker='confirm').type(NEW_PASSWORD)
    user.find(marker='submit').click()
    await user.should_see('Your password was changed.')

    await sign_in(user, DEMO_PATIENT, NEW_PASSWORD)
    await user.should_see('Amount due')

    await user.open(f'/reset?token={token}')  # single use
    user.find(marker='password').type('another-fine-passphrase-9')
    user.find(marker='confirm').type('another-fine-passphrase-9')
    user.find(marker='submit').click()
    await user.should_see('This reset link has expired or was already used.')


async def test_unknown_email_gets_the_same_answer_and_no_mail(user: User) -> None:
    await user.open('/forgot')
    user.find(marker='email').type('nobody@example.com')
    user.find(marker='submit').click()
    await user.should_see(SENT)
    with read_session() as session:
        assert session.exec(select(Notification).where(Notification.template == 'password_reset')).first() is None


async def test_a_made_up_token_is_refused(user: User) -> None:
    await user.open('/reset?token=made-up')
    user.find(marker='password').type(NEW_PASSWORD)
    user.find(marker='confirm').type(NEW_PASSWORD)
    user.find(marker='submit').click()
    await user.should_see('This reset link has expired or was already used.')
