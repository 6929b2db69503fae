"""Notification preferences: which kinds of message a person gets, by email and by text.

Without a stored row, email is on and texts are off: a text needs the person to give a mobile number
and turn it on (consent). A STOP from that number (portal.notify.sms.handle_inbound) sets stopped_at
and wins over the stored choice until the person turns texts on again here. Password resets and
other security messages have no kind and are always sent.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal import audit
from portal.auth.permissions import Actor
from portal.errors import NotFound, ValidationFailed
from portal.models import NotificationPreference, User
from portal.notify.sms import normalize_phone, texting_enabled
from portal.notify.templates import KINDS

CHANNELS = ('email', 'sms')
DEFAULTS = {'email': True, 'sms': False}
KIND_LABELS = {
    'statement': 'New statements',
    'reminder': 'Payment reminders',
    'payment': 'Payments and receipts',
    'appointment': 'Appointment reminders',
    'message': 'Messages from the billing office',
}


@dataclass(frozen=True)
class PreferencesView:
    email: str
    mobile_phone: str
    texting_available: bool
    texts_stopped: bool  # the person replied STOP
    choices: dict[str, dict[str, bool]]  # kind -> channel -> on


def _rows(session: Session, user_ids: Iterable[int]) -> list[NotificationPreference]:
    ids = list(user_ids)
    if not ids:
        return []
    return list(session.exec(select(NotificationPreference)
                             .where(col(NotificationPreference.user_id).in_(ids))).all())


def preferences_for(session: Session, /, *, actor: Actor) -> PreferencesView:
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    choices = {kind: dict(DEFAULTS) for kind in KINDS}
    stopped = False
    for row in _rows(session, [user.id]):
        if row.kind in choices and row.channel in CHANNELS:
            choices[row.kind][row.channel] = row.enabled and row.stopped_at is None
            stopped = stopped or (row.channel == 'sms' and row.stopped_at is not None)
    return PreferencesView(email=user.email, mobile_phone=user.mobile_phone or '',
                           texting_available=texting_enabled(), texts_stopped=stopped, choices=choices)


def save_preferences(session: Session, /, *, actor: Actor, choices: dict[str, dict[str, bool]],
                     mobile_phone: str = '') -> PreferencesView:
    """Store the person's choices; turning texts on needs a valid mobile number and clears a STOP."""
    user = session.get(User, actor.user_id)
    if user is None:
        raise NotFound()
    wants_texts = any(choices.get(kind, {}).get('sms') for kind in KINDS)
    number: str | None = None
    if (mobile_phone or '').strip():
        try:
            number = normalize_phone(mobile_phone)
        except ValueError as error:
            raise ValidationFailed(str(error), field_errors={'mobile_phone': str(error)}) from None
    if wants_texts and not texting_enabled():
        raise ValidationFailed('Text messages are not available at this practice yet.')
    if wants_texts and number is None:
        message = 'Enter a mobile number to get text messages.'
        raise ValidationFailed(message, field_errors={'mobile_phone': message})
    user.mobile_phone = number
    session.add(user)
    existing = {(row.kind, row.channel): row for row in _rows(session, [user.id])}
    for kind in KINDS:
        for channel in CHANNELS:
            wanted = bool(choices.get(kind, {}).get(channel, DEFAULTS[channel]))
            row = existing.get((kind, channel))
            if row is None:
                row = NotificationPreference(user_id=user.id, kind=kind, channel=channel)
            row.enabled = wanted
            if channel == 'sms' and wants_texts:
                row.stopped_at = None  # turning texts on here is fresh consent after a STOP
            session.add(row)
    audit.record(session, action='notification_preferences', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='user', entity_id=user.id, source_ip=actor.ip)
    session.flush()
    return preferences_for(session, actor=actor)


def allowed_channels(session: Session, /, *, user_ids: Iterable[int], kind: str | None) -> dict[int, set[str]]:
    """user id -> the channels they get `kind` on (texts also need a number and a provider)."""
    ids = list(user_ids)
    if not ids:
        return {}
    users = session.exec(select(User.id, User.mobile_phone).where(col(User.id).in_(ids))).all()
    texting = texting_enabled()
    if kind is None:  # security messages: always by email, never by text
        return {user_id: {'email'} for user_id, _ in users}
    wanted: dict[tuple[int, str], bool] = {}
    for row in _rows(session, ids):
        if row.kind == kind:
            wanted[(row.user_id, row.channel)] = row.enabled and row.stopped_at is None
    result: dict[int, set[str]] = {}
    for user_id, phone in users:
        channels = set()
        if wanted.get((user_id, 'email'), DEFAULTS['email']):
            channels.add('email')
        if texting and phone and wanted.get((user_id, 'sms'), DEFAULTS['sms']):
            channels.add('sms')
        result[user_id] = channels
    return result


def channel_allowed(session: Session, /, *, user_id: int, kind: str | None, channel: str) -> bool:
    return channel in allowed_channels(session, user_ids=[user_id], kind=kind).get(user_id, set())
