"""A sign-in stands until the user is deactivated, their role changes or their password changes."""
from __future__ import annotations

import time

from portal.db import write_session
from portal.models import User
from portal.services.identity.password_changes import change_password
from portal.services.identity.sessions import sign_in_still_valid
from tests.factories import STRONG_PASSWORD, make_user


def test_deactivation_role_change_and_password_change_end_a_sign_in(db: str) -> None:
    person = make_user(role='staff')
    signed_in_at = time.time()
    assert sign_in_still_valid(user_id=person.id, role='staff', verified_at=signed_in_at)
    assert not sign_in_still_valid(user_id=person.id, role='admin', verified_at=signed_in_at)
    assert not sign_in_still_valid(user_id=person.id + 999, role='staff', verified_at=signed_in_at)

    time.sleep(1.1)
    change_password(user_id=person.id, current_password=STRONG_PASSWORD, new_password='cobalt-meadow-violin-64',
                    password_confirm='cobalt-meadow-violin-64', ip='')
    assert not sign_in_still_valid(user_id=person.id, role='staff', verified_at=signed_in_at)
    assert sign_in_still_valid(user_id=person.id, role='staff', verified_at=time.time())

    with write_session() as session:
        session.get(User, person.id).is_active = False
    assert not sign_in_still_valid(user_id=person.id, role='staff', verified_at=time.time())
