"""Coverage on SQLite and PostgreSQL: the member id masked until revealed (audited); bad input refused
with a message and nothing stored (control characters, too long, end before start, a second primary
over the same dates); card photos through the file service; the verification round trip (patient
changes, staff verify or correct, patient sees it); another account's coverage and card: 404, audited."""
from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from portal.auth.permissions import Actor
from portal.db import read_session, write_session
from portal.errors import NotFound, ValidationFailed
from portal.models import AuditEvent, MessageThread, Notification, StoredFile
from portal.models.insurance import Coverage, Payer
from portal.services import coverage, coverage_queue, files
from portal.services.coverage import Benefits, CoverageForm
from portal.services.file_content import FileRefused
from portal.services.messaging import inbox
from tests.factories import make_account, make_user
from tests.support import uploads


@pytest.fixture
def household(db: str) -> dict:
    account, (patient,) = make_account()
    user = make_user(account=account)
    staff = make_user(role='staff')
    with write_session() as session:
        payer = Payer(name='Blue Prairie Health', payer_code='BPH')
        session.add(payer)
        session.flush()
        payer_id = payer.id
    return {'account': account, 'patient': patient.id, 'payer': payer_id,
            'me': Actor(user.id, 'patient'), 'staff': Actor(staff.id, 'staff')}


def form(h: dict, **changes) -> CoverageForm:
    values = {'payer_id': h['payer'], 'plan_name': 'Gold PPO', 'member_id': 'BPH48201933001',
              'group_number': '40211-007', 'subscriber_name': 'Maria Lopez', 'subscriber_relationship': 'self',
              'priority': 1, 'effective_from': date(2026, 1, 1), 'effective_to': None}
    return CoverageForm(**{**values, **changes})


def save(h: dict, actor: Actor | None = None, **changes) -> int:
    with write_session() as session:
        return coverage.save_coverage(session, actor=actor or h['me'], patient_id=h['patient'], form=form(h, **changes))


def page(h: dict) -> coverage.CoverageView:
    with read_session() as session:
        (account,) = coverage.coverage_page(session, actor=h['me'])
    return account.patients[0].coverages[0]


def count(model: type, *where) -> int:  # noqa: ANN001
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_member_id_is_masked_until_revealed_and_each_reveal_is_audited(household: dict) -> None:
    coverage_id = save(household)
    shown = page(household)
    assert shown.member_id_masked == '•••• 3001' and 'BPH482' not in repr(shown)
    assert shown.verified_on is None  # "We are checking this"
    with write_session() as session:
        assert coverage.reveal_member_id(session, actor=household['me'], coverage_id=coverage_id) == 'BPH48201933001'
    assert count(AuditEvent, AuditEvent.action == 'reveal_member_id', AuditEvent.entity_id == str(coverage_id)) == 1


@pytest.mark.parametrize(('changes', 'field', 'words'), [
    ({'member_id': 'BPH\x00123'}, 'member_id', 'characters that cannot be'),
    ({'member_id': 'A' * 200}, 'member_id', 'at most 30'),
    ({'member_id': 'A' * 31}, 'member_id', 'at most 30'),
    ({'member_id': ''}, 'member_id', 'as it is on the card'),
    ({'effective_to': date(2025, 12, 31)}, 'effective_to', 'before the start'),
    ({'plan_name': 'Gold\x1b[31m'}, 'plan_name', 'at most 120'),
    ({'payer_id': 999999}, 'payer_id', 'from the list'),
])
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(household: dict, changes: dict, field: str,
                                                                   words: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save(household, **changes)
    assert words in refused.value.field_errors[field]
    assert count(Coverage) == 0


def test_a_second_primary_over_overlapping_dates_is_refused(household: dict) -> None:
    save(household, effective_to=date(2026, 6, 30))
    with pytest.raises(ValidationFailed) as refused:
        save(household, member_id='ZZ1', effective_from=date(2026, 6, 30))
    assert 'already has primary insurance' in refused.value.field_errors['priority']
    save(household, member_id='ZZ2', effective_from=date(2026, 7, 1))  # the day after: fine
    save(household, member_id='ZZ3', priority=2)  # secondary over the same days: fine
    assert count(Coverage) == 3


def test_ending_coverage_refuses_an_end_before_its_start(household: dict) -> None:
    coverage_id = save(household)
    with write_session() as session, pytest.raises(ValidationFailed):
        coverage.end_coverage(session, actor=household['me'], coverage_id=coverage_id, end=date(2025, 1, 1))
    with write_session() as session:
        coverage.end_coverage(session, actor=household['me'], coverage_id=coverage_id, end=date(2026, 3, 31))
    assert page(household).effective_to == date(2026, 3, 31)


def test_card_photos_front_and_back_replace_and_refuse_bad_files(household: dict) -> None:
    coverage_id = save(household)
    for side in ('front', 'back', 'front'):
        with write_session() as session:
            coverage.attach_card(session, actor=household['me'], coverage_id=coverage_id, side=side,
                                 name='IMG_0001.png', data=uploads.png())
    shown = page(household)
    assert shown.card_front is not None and shown.card_back is not None
    assert count(StoredFile, StoredFile.owner_kind == 'coverage_card') == 2  # the second front replaced the first
    for name, data in (('card.jpg', uploads.executable()), ('card.png', b'')):
        with write_session() as session, pytest.raises(FileRefused):
            coverage.attach_card(session, actor=household['me'], coverage_id=coverage_id, side='back', name=name,
                                 data=data)
    assert count(StoredFile, StoredFile.owner_kind == 'coverage_card') == 2
    with read_session() as session:
        view, data = files.read_file(session, actor=household['me'], file_id=shown.card_front.id)
    assert view.content_type == 'image/png' and data


def test_another_accounts_coverage_and_card_are_not_found_and_audited(household: dict) -> None:
    coverage_id = save(household)
    with write_session() as session:
        card = coverage.attach_card(session, actor=household['me'], coverage_id=coverage_id, side='front',
                                    name='c.png', data=uploads.png())
    other_account, _ = make_account()
    stranger = Actor(make_user(account=other_account).id, 'patient')
    for attempt in (
        lambda s: coverage.reveal_member_id(s, actor=stranger, coverage_id=coverage_id),
        lambda s: coverage.end_coverage(s, actor=stranger, coverage_id=coverage_id, end=date(2026, 5, 1)),
        lambda s: coverage.save_coverage(s, actor=stranger, patient_id=household['patient'], form=form(household)),
        lambda s: files.read_file(s, actor=stranger, file_id=card.id),
        lambda s: coverage_queue.verify(s, actor=stranger, coverage_id=coverage_id),
    ):
        with pytest.raises(NotFound), write_session() as session:
            attempt(session)
    assert count(AuditEvent, AuditEvent.actor_user_id == stranger.user_id, AuditEvent.outcome == 'denied') == 5
    assert count(Coverage) == 1 and page(household).effective_to is None


def test_verification_round_trip(household: dict) -> None:
    staff = household['staff']
    coverage_id = save(household)
    with read_session() as session:
        waiting = coverage_queue.queue(session, actor=staff)
    assert [item.coverage.id for item in waiting] == [coverage_id] and waiting[0].is_new
    with write_session() as session:
        coverage_queue.verify(session, actor=staff, coverage_id=coverage_id)
    assert page(household).verified_on is not None
    with read_session() as session:
        assert coverage_queue.queue(session, actor=staff) == ()
    with write_session() as session:  # the patient changes the plan: back in the queue, no longer verified
        coverage.save_coverage(session, actor=household['me'], patient_id=household['patient'], coverage_id=coverage_id,
                               form=form(household, plan_name='Silver HMO', member_id='•••• 3001'))
    assert page(household).verified_on is None
    with read_session() as session:
        (item,) = coverage_queue.queue(session, actor=staff)
    assert not item.is_new
    with write_session() as session:
        changed = coverage_queue.correct(session, actor=staff, coverage_id=coverage_id,
                                         form=replace(item.coverage.form, group_number='40211-008'))
    assert changed == ('group number',)
    shown = page(household)
    assert shown.verified_on is not None and shown.corrected_fields == ('group number',)
    assert shown.group_number == '40211-008' and shown.plan_name == 'Silver HMO'
    with read_session() as session:
        assert coverage.reveal_member_id(session, actor=household['me'], coverage_id=coverage_id) == 'BPH48201933001'
    with write_session() as session:
        coverage_queue.record_benefits(session, actor=staff, coverage_id=coverage_id, benefits=Benefits(
            date(2026, 2, 1), 2500, 50000, 100000, 60000, 340000))
    assert page(household).benefits.deductible_remaining == 100000
    with write_session() as session:
        thread_id = coverage_queue.ask_patient(session, actor=staff, coverage_id=coverage_id,
                                               body='Please send a photo of the back of your card.')
    with read_session() as session:
        assert session.get(MessageThread, thread_id).account_id == household['account'].id
        assert inbox.badge(session, actor=household['me']).unread == 1
        (email,) = session.exec(select(Notification).where(Notification.user_id == household['me'].user_id)).all()
    # told when it matters: a contentless email (and the Messages badge); nothing about the coverage in it
    assert email.template == 'new_message'
    assert 'BPH' not in email.context_json and 'Prairie' not in email.context_json and 'card' not in email.context_json
    actions = {'add_coverage', 'change_coverage', 'verify_coverage', 'correct_coverage', 'record_benefits',
               'ask_about_coverage'}
    with read_session() as session:
        seen = set(session.exec(select(AuditEvent.action).where(AuditEvent.entity_type == 'coverage')).all())
    assert actions <= seen


def test_staff_benefits_refuse_negative_amounts_and_patients_cannot_open_the_queue(household: dict) -> None:
    coverage_id = save(household)
    with write_session() as session, pytest.raises(ValidationFailed):
        coverage_queue.record_benefits(session, actor=household['staff'], coverage_id=coverage_id,
                                       benefits=Benefits(date(2026, 2, 1), -1, None, None, None, None))
    with read_session() as session, pytest.raises(NotFound):
        coverage_queue.queue(session, actor=household['me'])
    assert page(household).benefits is None


def test_benefits_as_of_follows_the_practices_calendar_day(household: dict) -> None:
    import time_machine
    coverage_id = save(household)
    with time_machine.travel('2026-11-21 03:00:00+00:00', tick=False):  # 9 pm on Nov 20 in Chicago
        with write_session() as session, pytest.raises(ValidationFailed) as refused:
            coverage_queue.record_benefits(session, actor=household['staff'], coverage_id=coverage_id,
                                           benefits=Benefits(date(2026, 11, 21), 2500, None, None, None, None))
        assert refused.value.field_errors == {'as_of': 'The date cannot be in the future.'}
        with write_session() as session:
            coverage_queue.record_benefits(session, actor=household['staff'], coverage_id=coverage_id,
                                           benefits=Benefits(date(2026, 11, 20), 2500, None, None, None, None))
    assert page(household).benefits.as_of == date(2026, 11, 20)


def test_staff_viewing_a_card_photo_is_audited_once_per_file_per_ten_minutes(household: dict) -> None:
    import time_machine
    coverage_id = save(household)
    with write_session() as session:
        card = coverage.attach_card(session, actor=household['me'], coverage_id=coverage_id, side='front',
                                    name='front.png', data=uploads.png())

    def views() -> list[tuple[int, str]]:
        with read_session() as session:
            return [(row.actor_user_id, row.entity_id) for row in session.exec(select(AuditEvent).where(
                AuditEvent.action.in_(('view_file', 'view_coverage_card'))).order_by(AuditEvent.id)).all()]

    with time_machine.travel('2026-11-20 15:00:00+00:00', tick=False) as traveller:
        for _ in range(5):  # a page with the thumbnail, reloaded five times
            with write_session() as session:
                files.read_file(session, actor=household['staff'], file_id=card.id)
        with write_session() as session:  # the patient's own card: not a view to audit
            files.read_file(session, actor=household['me'], file_id=card.id)
        assert views() == [(household['staff'].user_id, card.id)]
        traveller.shift(601)
        with write_session() as session:
            files.read_file(session, actor=household['staff'], file_id=card.id)
    assert views() == [(household['staff'].user_id, card.id)] * 2
