"""Too long is told, never cut: every message field stops typing at its limit with a visible counter, and text
over the limit that reaches the server anyway (a paste past a script, a crafted request) gets a "keep it under"
message with nothing stored."""
from __future__ import annotations

from nicegui.testing import User

from portal.services.messaging import safety
from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in
from tests.pages.test_messages_wiring import _counts, _new_message, _patient_thread, file_dir  # noqa: F401 (autouse)


def _limits(user: User, *markers: str) -> list[tuple[object, bool]]:
    """(maxlength, shows a counter) of each marked field."""
    with user:
        return [(int(element.props.get('maxlength', 0)), element.props.get('counter') is True)
                for marker in markers for element in user.find(marker=marker).elements]


async def test_the_new_message_page_counts_and_refuses_an_over_long_subject_and_body(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/messages/new')
    await user.should_see('What is it about?')
    assert _limits(user, 'subject', 'body') == [(safety.MAX_SUBJECT, True), (safety.MAX_BODY, True)]
    before = _counts()
    _new_message(user, 'x' * (safety.MAX_BODY + 1))
    user.find(marker='submit').click()
    await user.should_see('Keep your message under 5,000 characters (it has 5,001).')
    _new_message(user, 'A short message')
    next(iter(user.find(marker='subject').elements)).value = 's' * (safety.MAX_SUBJECT + 1)
    user.find(marker='submit').click()
    await user.should_see(f'Keep the subject under {safety.MAX_SUBJECT} characters.')
    assert _counts() == before


async def test_a_reply_and_a_question_about_a_charge_count_to_their_limit(user: User) -> None:
    thread_id, _ = _patient_thread()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/messages/{thread_id}')
    await user.should_see('Mark as resolved')
    assert _limits(user, 'reply-body') == [(safety.MAX_BODY, True)]
    from tests.pages.test_statements import _statements
    await user.open(f'/statements/{_statements()[0].id}')
    await user.should_see('Ask about this charge')
    ask = min(marker for element in user.find('Ask about this charge').elements
              for marker in element._markers if marker.startswith('ask-'))
    user.find(marker=ask).click()
    await user.should_see('Your question')
    assert _limits(user, 'question-body') == [(safety.MAX_BODY, True)]


async def test_the_staff_message_fields_count_to_their_limit(user: User) -> None:
    thread_id, account_id = _patient_thread()
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open(f'/staff/messages/{thread_id}')
    await user.should_see('Reply to the patient')
    assert _limits(user, 'reply-body', 'note-body') == [(safety.MAX_BODY, True)] * 2
    await user.open(f'/staff/messages/new?account={account_id}')
    await user.should_see('Write to')
    assert _limits(user, 'subject', 'body') == [(safety.MAX_SUBJECT, True), (safety.MAX_BODY, True)]
