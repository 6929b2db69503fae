"""Sign-in at /, sign-out, and where each role lands."""
from __future__ import annotations

import re

from nicegui import ui
from nicegui.testing import User

from tests.pages.conftest import DEMO_PATIENT, DEMO_STAFF, sign_in


async def test_signed_out_visitor_sees_the_sign_in_form(user: User) -> None:
    await user.open('/')
    await user.should_see('Sign in')
    await user.should_see('Forgot password?')
    await user.should_see('Create an account')
    await user.should_see('Demo payments — no money moves')


async def test_demo_patient_signs_in_and_sees_the_amount_due_and_pay(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.should_see(marker='pay')
    blocks = [element.content for element in user.find(ui.html).elements]
    amounts = [block for block in blocks if 'data-testid="amount-due"' in block]
    assert amounts and re.search(r'amount-due"[^>]*>\$\d[\d,]*\.\d\d<', amounts[0])
    await user.should_see('Latest statement')
    await user.should_see('Next appointment')
    await user.should_see('Messages')


async def test_wrong_password_shows_one_generic_message(user: User) -> None:
    await sign_in(user, DEMO_PATIENT, 'not-the-right-password')
    await user.should_see('The email or password is not right.')
    await user.should_not_see('Amount due')
    (password,) = user.find(marker='password').elements
    assert password.value == '' and password.error is None  # cleared, not reported as "Enter your password."


async def test_unknown_email_gets_the_same_message(user: User) -> None:
    await sign_in(user, 'nobody@example.com', 'whatever-password-123')
    await user.should_see('The email or password is not right.')


async def test_empty_fields_get_inline_messages_and_nothing_happens(user: User) -> None:
    await user.open('/')
    user.find(marker='submit').click()
    await user.should_see('Enter your email address.')
    await user.should_see('Enter your password.')


async def test_demo_staff_lands_on_the_dashboard(user: User) -> None:
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.should_see('Total A/R')
    await user.should_see('Collected from patients')
    assert user.find(ui.plotly).elements


async def test_sign_out_returns_to_sign_in(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    user.find(marker='sign-out').click()
    await user.should_see('Forgot password?')
    await user.open('/')
    await user.should_see('Forgot password?')


async def test_wrong_passwords_from_another_address_do_not_lock_the_owner_out(user: User) -> None:
    from portal.errors import DomainError
    from portal.services.identity import sessions
    for _ in range(6):  # someone who knows the email locks out only their own address
        try:
            sessions.sign_in(email=DEMO_PATIENT, password='not-her-password-at-all', ip='203.0.113.66')
        except DomainError:
            pass
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
