"""Text messages with time travel: quiet hours, one a day and three a week per number, STOP and START,
and the provider switch (off by default)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.config import reload_settings
from portal.db import write_session
from portal.errors import ValidationFailed
from portal.jobs import notifications, reminders
from portal.notify import sms, texts
from portal.notify.outbox import enqueue
from portal.services import delivery, sms_replies
from tests.support.notify_data import billed_household, choose, outbox

CHICAGO = ZoneInfo('America/Chicago')
PHONE = '+15552013344'


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO).astimezone(UTC)


@pytest.fixture
def texting(db: str, monkeypatch: pytest.MonkeyPatch) -> list[sms.RecordedText]:
    monkeypatch.setenv('PORTAL_SMS_PROVIDER', 'test')
    reload_settings()
    provider = sms.recording_provider()
    provider.sent.clear()
    yield provider.sent
    provider.sent.clear()
    monkeypatch.delenv('PORTAL_SMS_PROVIDER')
    reload_settings()


def _text(key: str, user_id: int | None = None, phone: str = PHONE) -> None:
    with write_session() as session:
        enqueue(session, channel='sms', template='new_message', recipient=phone, dedupe_key=key,
                context={'first_name': 'Maria', 'link': 'https://billing.example.com/'}, user_id=user_id)


def test_phone_numbers_are_normalized() -> None:
    assert sms.normalize_phone('(555) 201-3344') == PHONE
    assert sms.normalize_phone('1 555 201 3344') == PHONE
    assert sms.normalize_phone('+44 7700 900123') == '+447700900123'
    for bad in ('555-0100', '(055) 201-3344', 'call me', '+0123456789', ''):
        with pytest.raises(ValueError, match='mobile number'):
            sms.normalize_phone(bad)


def test_quiet_hours_and_limits_as_pure_rules() -> None:
    evening = local(2026, 3, 2, 21, 0)
    assert texts.outside_quiet_hours(evening, CHICAGO) == local(2026, 3, 3, 8, 0)
    assert texts.outside_quiet_hours(local(2026, 3, 3, 7, 59), CHICAGO) == local(2026, 3, 3, 8, 0)
    assert texts.outside_quiet_hours(local(2026, 3, 3, 20, 59), CHICAGO) == local(2026, 3, 3, 20, 59)
    # across the spring clock change (8 March 2026): still 08:00 local
    assert texts.outside_quiet_hours(local(2026, 3, 7, 23, 0), CHICAGO) == local(2026, 3, 8, 8, 0)
    now = local(2026, 3, 4, 10)
    assert texts.earliest_send([], now, CHICAGO) == now
    assert texts.earliest_send([local(2026, 3, 4, 9)], now, CHICAGO) == local(2026, 3, 5, 8)
    three = [local(2026, 3, 2, 9), local(2026, 3, 3, 9), local(2026, 3, 4, 9)]
    assert texts.earliest_send(three, now, CHICAGO) == local(2026, 3, 9, 8)  # the 2nd leaves the week


def test_texting_is_off_by_default(db: str) -> None:
    assert not sms.texting_enabled()
    assert isinstance(sms.get_provider(), sms.DisabledSms)
    household = billed_household()
    with pytest.raises(ValidationFailed, match='not available'):
        choose(household, phone='5552013344', reminder={'sms': True})
    _text('t1')
    assert notifications.run() == 0
    assert outbox()[0].status == 'pending'


def test_no_texts_at_night(texting: list[sms.RecordedText]) -> None:
    with time_machine.travel(local(2026, 3, 2, 22, 30), tick=False):
        _text('t1')
        assert delivery.deliver_pending_sms() == 0
        [row] = outbox()
        assert (row.status, row.send_after) == ('pending', local(2026, 3, 3, 8, 0))
    with time_machine.travel(local(2026, 3, 3, 7, 59), tick=False):
        assert delivery.deliver_pending_sms() == 0
    with time_machine.travel(local(2026, 3, 3, 8, 1), tick=False):
        assert delivery.deliver_pending_sms() == 1
    [text] = texting
    assert text.to == PHONE and text.reference == f'notification-{row.id}'
    assert text.body.startswith('Riverside Family Medicine: you have a new message') and 'Reply STOP' in text.body


def test_one_text_a_day_and_three_a_week(texting: list[sms.RecordedText]) -> None:
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        for number in range(5):
            _text(f't{number}')
        _text('other-person', phone='+15552019999')
        assert delivery.deliver_pending_sms() == 2  # one to each number
    sent_days = []
    for day in range(2, 12):
        with time_machine.travel(local(2026, 3, day, 12), tick=False):
            if delivery.deliver_pending_sms():
                sent_days.append(day)
            delivery.deliver_pending_sms()  # a second sweep the same day sends nothing more
    # 2, 3, 4 (three in a week), then the week from the 3rd holds two: the 9th, and the 10th
    assert sent_days == [3, 4, 9, 10]
    assert [text.to for text in texting].count(PHONE) == 5


def test_stop_is_honoured_and_start_undoes_it(texting: list[sms.RecordedText]) -> None:
    household = billed_household(phone=None)
    choose(household, phone='(555) 201-3344', reminder={'sms': True}, statement={'sms': True})
    with time_machine.travel(local(2026, 3, 2, 9), tick=False):
        reminders.run()
        assert [row.channel for row in outbox()] == ['email', 'sms']
        reply = sms_replies.handle_inbound(from_='+1 555 201 3344', body=' stop ')
        assert 'no more texts' in reply
        assert delivery.deliver_pending_sms() == 0
    assert texting == []
    assert [(row.channel, row.status, row.last_error) for row in outbox(channel='sms')] == [
        ('sms', 'suppressed', 'turned off in preferences')]
    back_on = sms_replies.handle_inbound(from_=PHONE, body='START')
    assert back_on.startswith('Riverside Family Medicine: texts are back on')
    with time_machine.travel(local(2026, 3, 3, 9), tick=False):
        _text('after-start', user_id=household.user_id)  # a 'message' kind text: never chosen, so still off
        delivery.deliver_pending_sms()
    assert outbox(dedupe_key='after-start')[0].status == 'suppressed'
    assert sms_replies.handle_inbound(from_='not a number', body='STOP') == ''
    assert 'call' in sms_replies.handle_inbound(from_=PHONE, body='help')


def test_a_failing_provider_is_retried_then_given_up(texting: list[sms.RecordedText],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(**_kwargs) -> str:
        raise sms.SmsError('carrier unreachable')

    monkeypatch.setattr(sms.recording_provider(), 'send', fail)
    with time_machine.travel(local(2026, 3, 2, 9), tick=False) as traveller:
        _text('t1')
        for _ in range(texts.MAX_ATTEMPTS):
            delivery.deliver_pending_sms()
            traveller.shift(timedelta(days=1))
    [row] = outbox()
    assert (row.status, row.attempts, row.sent_at) == ('failed', texts.MAX_ATTEMPTS, None)


def test_turning_texts_on_again_clears_a_stop(texting: list[sms.RecordedText]) -> None:
    from portal.auth.permissions import Actor
    from portal.db import read_session
    from portal.services import preferences
    household = billed_household()
    choose(household, phone='5552013344', reminder={'sms': True})
    sms_replies.handle_inbound(from_=PHONE, body='Stop please')
    actor = Actor(user_id=household.user_id, role='patient')
    with read_session() as session:
        view = preferences.preferences_for(session, actor=actor)
    assert view.texts_stopped and view.choices['reminder']['sms'] is False and view.mobile_phone == PHONE
    choose(household, phone=PHONE, reminder={'sms': True})
    with read_session() as session:
        view = preferences.preferences_for(session, actor=actor)
        assert not view.texts_stopped and view.choices['reminder']['sms'] is True
        assert preferences.channel_allowed(session, user_id=household.user_id, kind='reminder', channel='sms')
        assert not preferences.channel_allowed(session, user_id=household.user_id, kind='statement', channel='sms')
        assert preferences.allowed_channels(session, user_ids=[household.user_id], kind=None) == {
            household.user_id: {'email'}}  # security messages: email only, whatever the choices
