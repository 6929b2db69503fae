"""Message templates as data: a subject and a plain-text body with str.format placeholders.

No template carries PHI. A message may name the practice, greet by first name, give an amount and
a receipt or statement number, and link to the portal; dates of service, providers, codes and
balance details stay behind sign-in. `fields` lists every value a template accepts, and the
outbox refuses any other, so nothing else can slip into a message.

`kind` is the preference a person sets for it (statement, reminder, payment, appointment, message);
None marks a message they cannot turn off (a password reset). `sms` is the short text version, for
the kinds a person may choose to get by text.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ('statement', 'reminder', 'payment', 'appointment', 'message')


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    fields: frozenset[str]
    kind: str | None = None
    sms: str = ''
    send_time: frozenset[str] = frozenset()  # secrets filled in by the sender (portal.services.send_time), never queued


_SIGN_OFF = '\n\n{practice}\n{practice_phone}\n'
_STOP = ' Reply STOP to opt out.'

TEMPLATES: dict[str, Template] = {
    'password_reset': Template(
        subject='Reset your {practice} portal password',
        body=('Hi {first_name},\n\n'
              'Someone (we hope you) asked to reset the password for your {practice} billing portal '
              'account. To choose a new password, open this link:\n\n'
              '{link}\n\n'
              'The link expires in 30 minutes and works once.\n\n'
              "If you didn't ask, ignore this email: your password stays the same." + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
        send_time=frozenset({'link'}),  # a usable reset link never sits in the outbox
    ),
    'staff_invite': Template(
        subject='You are invited to the {practice} billing portal',
        body=('Hi {first_name},\n\n'
              'You are invited to join the {practice} billing portal as a member of the billing office. To choose '
              'your password and set up two-step sign-in, open this link:\n\n'
              '{link}\n\n'
              'The link expires in 72 hours and works once. If you did not expect this, ignore this email.'
              + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
        send_time=frozenset({'link'}),  # a usable invite link never sits in the outbox
    ),
    'statement_ready': Template(
        subject='You have a new statement from {practice}',
        body=('Hi {first_name},\n\n'
              'A new statement is ready in your {practice} billing portal. Sign in to see it and pay:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
        kind='statement',
        sms='{practice}: you have a new statement. View and pay: {link}' + _STOP,
    ),
    'statement_due': Template(
        subject='A payment to {practice} is due soon',
        body=('Hi {first_name},\n\n'
              'A payment of {amount} is due in a few days. '
              'If you have already paid, thank you: there is nothing more to do. To pay, sign in:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='reminder',
        sms='{practice}: a payment of {amount} is due in a few days. Pay: {link}' + _STOP,
    ),
    'statement_overdue': Template(
        subject='Your {practice} statement is past due',
        body=('Hi {first_name},\n\n'
              'We have not yet received payment of your balance of {amount}. '
              'Please sign in to pay, set up a payment plan, or send us a message if something looks '
              'wrong:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='reminder',
        sms='{practice}: a balance of {amount} is past due. Pay or set up a plan: {link}' + _STOP,
    ),
    'installment_due': Template(
        subject='Your {practice} payment plan installment is coming up',
        body=('Hi {first_name},\n\n'
              'Your next payment plan installment of {amount} is due in a few days. If you use '
              'autopay, we will charge your saved payment method; there is nothing to do. '
              'To see your plan, sign in:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='reminder',
        sms='{practice}: your plan installment of {amount} is due in a few days. Details: {link}' + _STOP,
    ),
    'appointment_tomorrow': Template(
        subject='Reminder: your appointment with {practice} is tomorrow',
        body=('Hi {first_name},\n\n'
              'This is a reminder that you have an appointment with {practice} tomorrow. '
              'Sign in to see the time and place:\n\n'
              '{link}\n\n'
              'To add it to your calendar (after signing in):\n\n'
              '{calendar_link}\n\n'
              'If you cannot come, please reschedule or cancel in the portal, or call us.' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link', 'calendar_link'}),
        kind='appointment',
        sms='{practice}: reminder of your appointment tomorrow. Details: {link}' + _STOP,
    ),
    'appointment_changed': Template(
        subject='Your appointment with {practice} has changed',
        body=('Hi {first_name},\n\n'
              'Our office has moved or cancelled one of your appointments. '
              'Sign in to see the new details:\n\n'
              '{link}\n\n'
              'If the change does not suit you, please reschedule in the portal or call us.' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
        kind='appointment',
        sms='{practice}: one of your appointments has changed. Details: {link}' + _STOP,
    ),
    'payment_received': Template(
        subject='We received your payment to {practice}',
        body=('Hi {first_name},\n\n'
              'Thank you. We received your payment of {amount} (receipt {receipt_number}).\n'
              'Your receipt is in the portal:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'receipt_number', 'link'}),
        kind='payment',
    ),
    'payment_failed': Template(
        subject='A payment to {practice} did not go through',
        body=('Hi {first_name},\n\n'
              'A scheduled payment of {amount} did not go through. Please sign in to update your '
              'payment method or pay another way:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='payment',
        sms='{practice}: a payment of {amount} did not go through. Update your payment method: {link}' + _STOP,
    ),
    'claim_update': Template(  # a denied claim the patient can act on; which claim and why stay behind sign-in
        subject='There is an update about your insurance claim',
        body=('Hi {first_name},\n\n'
              'There is an update about your insurance claim, and there may be something you can do. Sign in to '
              'see it:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
        kind='statement',
        sms='{practice}: there is an update about your insurance claim. See it: {link}' + _STOP,
    ),
    'new_message': Template(
        subject='You have a new message from {practice}',
        body=('Hi {first_name},\n\n'
              'The billing office sent you a message. Sign in to read it:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
        kind='message',
        sms='{practice}: you have a new message from the billing office. Read it: {link}' + _STOP,
    ),
    'payment_method_update': Template(
        subject='Please update your payment method for {practice}',
        body=('Hi {first_name},\n\n'
              'We tried a scheduled plan payment of {amount} three times and it did not go through. '
              'Please sign in to update your payment method:\n\n'
              '{link}\n\n'
              'Questions? Call us; we are glad to help.' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='payment',
        sms='{practice}: a scheduled plan payment of {amount} did not go through. Update your payment method: '
            '{link}' + _STOP,
    ),
    'plan_payment_returned': Template(
        subject='Please update your payment method for {practice}',
        body=('Hi {first_name},\n\n'
              'Your bank returned a payment of {amount}, so it was not paid and your payment plan has '
              'payments due again. Please sign in to update your payment method and pay what is due:\n\n'
              '{link}\n\n'
              'Questions? Call us; we are glad to help.' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='payment',
        sms='{practice}: your bank returned a payment of {amount}. Update your payment method: {link}' + _STOP,
    ),
    'payment_action_needed': Template(
        subject='Your bank needs you to confirm a payment to {practice}',
        body=('Hi {first_name},\n\n'
              'Your bank asked for a confirmation before it would let a scheduled plan payment of {amount} '
              'go through. Please sign in to pay it:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
        kind='payment',
        sms='{practice}: your bank wants you to confirm a plan payment of {amount}. Pay: {link}' + _STOP,
    ),
    'staff_digest': Template(  # to staff: a count and a link, never a patient's name or words
        subject='Patient conversations past their reply date: {count}',
        body=('Hi {first_name},\n\n'
              'Patient conversations past the date the billing office promised a reply: {count}. '
              'Open the queue:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'count', 'link'}),
    ),
}


class UnknownTemplate(KeyError):
    pass


def get(template: str) -> Template:
    try:
        return TEMPLATES[template]
    except KeyError:
        raise UnknownTemplate(template) from None


def _values(context: dict[str, object]) -> dict[str, object]:
    from portal.config import get_settings
    settings = get_settings()
    values: dict[str, object] = {'practice': settings.practice_name,
                                 'practice_phone': settings.practice_phone, 'first_name': 'there'}
    values.update({key: value for key, value in context.items() if value not in (None, '')})
    return values


def render(template: str, context: dict[str, object]) -> tuple[str, str]:
    """(subject, body) for a template; the practice name and phone come from settings if absent."""
    chosen = get(template)
    values = _values(context)
    return chosen.subject.format_map(values), chosen.body.format_map(values)


def render_sms(template: str, context: dict[str, object]) -> str:
    """The text-message version; ValueError for a template that has none."""
    chosen = get(template)
    if not chosen.sms:
        raise ValueError(f'template {template!r} has no text-message version')
    return chosen.sms.format_map(_values(context))
