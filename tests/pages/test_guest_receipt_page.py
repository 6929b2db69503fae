"""The result page offers "email me a receipt" only for a guest's payment, and to one address."""
from __future__ import annotations

from nicegui.testing import User

from portal.services.payments import tokens
from tests.factories import make_paid_attempt
from tests.support.payments import fresh_gateway  # noqa: F401  (autouse)


def _done_link(*, signed_in: bool) -> str:
    return f'/pay/done?t={tokens.make("done", make_paid_attempt(signed_in=signed_in))}'


async def test_a_signed_in_patients_result_link_offers_no_receipt_email(user: User) -> None:
    await user.open(_done_link(signed_in=True))
    await user.should_see('Payment received')
    await user.should_not_see('Email me a receipt')


async def test_a_guest_receipt_goes_to_one_address(user: User) -> None:
    await user.open(_done_link(signed_in=False))
    await user.should_see('Email me a receipt')
    user.find(marker='receipt-email').type('guest@example.com')
    user.find(marker='send-receipt').click()
    await user.should_see('Sent.')
    user.find(marker='receipt-email').clear().type('stranger@example.com')
    user.find(marker='send-receipt').click()
    await user.should_see('already sent to another address')


async def test_a_forged_receipt_link_is_the_404_page_and_an_old_one_says_expired(user: User) -> None:
    from datetime import UTC, datetime, timedelta

    from components.not_found import MESSAGE
    forged = await user.http_client.get('/pay/receipt/garbage', follow_redirects=False)
    assert forged.status_code == 404 and MESSAGE in forged.text and 'expired' not in forged.text
    old = tokens.make('receipt', 1, issued_at=datetime.now(UTC) - timedelta(days=8))
    expired = await user.http_client.get(f'/pay/receipt/{old}', follow_redirects=False)
    assert expired.status_code == 410 and 'This receipt link has expired' in expired.text
    assert MESSAGE not in expired.text
