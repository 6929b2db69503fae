"""Session hand-off tokens: one use, one minute, one browser, stored only as digests."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import time_machine
from sqlmodel import select

from portal.clock import utcnow
from portal.db import read_session
from portal.models import SessionHandoff
from portal.services import session_handoff
from portal.services.identity import admin
from tests.factories import make_user


def auth_for(user_id: int) -> dict:
    return {'user_id': user_id, 'role': 'patient', 'first_name': 'Pat', 'signed_in_at': 1.0,
            'last_active_at': 1.0, 'mfa_ok': True, 'nonce': 'n', 'verified_at': 1.0}


def test_a_token_is_redeemed_once_by_the_browser_it_was_issued_to(db: str) -> None:
    patient = make_user()
    token = session_handoff.issue(auth=auth_for(patient.id), next_path='/statements', browser_id='browser-a')
    with read_session() as session:
        (row,) = session.exec(select(SessionHandoff)).all()
    assert token not in (row.token_hash, row.auth_json, row.browser_hash) and 'browser-a' != row.browser_hash
    handoff = session_handoff.redeem(token=token, browser_id='browser-a')
    assert handoff == session_handoff.Handoff(auth=auth_for(patient.id), next_path='/statements')
    assert session_handoff.redeem(token=token, browser_id='browser-a') is None


def test_another_browser_cannot_use_a_token_and_spends_it(db: str) -> None:
    patient = make_user()
    token = session_handoff.issue(auth=auth_for(patient.id), next_path='/', browser_id='browser-a')
    assert session_handoff.redeem(token=token, browser_id='browser-b') is None
    assert session_handoff.redeem(token=token, browser_id='browser-a') is None


def test_a_token_expires_after_a_minute_and_is_purged(db: str) -> None:
    patient = make_user()
    token = session_handoff.issue(auth=auth_for(patient.id), next_path='/', browser_id='b')
    session_handoff.issue(auth=auth_for(patient.id), next_path='/', browser_id='b')
    with time_machine.travel(utcnow() + timedelta(seconds=61)):
        assert session_handoff.redeem(token=token, browser_id='b') is None
        assert admin.purge_expired_security_rows() >= 1
    with read_session() as session:
        assert session.exec(select(SessionHandoff)).all() == []


def test_made_up_and_oversized_tokens_are_refused(db: str) -> None:
    assert session_handoff.redeem(token='', browser_id='b') is None
    assert session_handoff.redeem(token='x' * 500, browser_id='b') is None
    assert session_handoff.redeem(token='not-a-token', browser_id='b') is None


def test_parallel_redemptions_of_one_token_succeed_once(db: str) -> None:
    patient = make_user()
    token = session_handoff.issue(auth=auth_for(patient.id), next_path='/', browser_id='b')
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda _: session_handoff.redeem(token=token, browser_id='b'), range(12)))
    assert sum(outcome is not None for outcome in outcomes) == 1
