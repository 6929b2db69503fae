"""Message templates as data: a subject and a plain-text body with str.format placeholders.

No template carries PHI. A message may name the practice, greet by first name, give an amount and
a receipt or statement number, and link to the portal; dates of service, providers, codes and
balance details stay behind sign-in. `fields` lists every value a template accepts, and the
outbox refuses any other, so nothing else can slip into a message.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    fields: frozenset[str]


_SIGN_OFF = '\n\n{practice}\n{practice_phone}\n'

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
    ),
    'statement_ready': Template(
        subject='You have a new statement from {practice}',
        body=('Hi {first_name},\n\n'
              'A new statement is ready in your {practice} billing portal. Sign in to see it and pay:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
    ),
    'payment_received': Template(
        subject='We received your payment to {practice}',
        body=('Hi {first_name},\n\n'
              'Thank you. We received your payment of {amount} (receipt {receipt_number}).\n'
              'Your receipt is in the portal:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'receipt_number', 'link'}),
    ),
    'payment_failed': Template(
        subject='A payment to {practice} did not go through',
        body=('Hi {first_name},\n\n'
              'A scheduled payment of {amount} did not go through. Please sign in to update your '
              'payment method or pay another way:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
    ),
    'new_message': Template(
        subject='You have a new message from {practice}',
        body=('Hi {first_name},\n\n'
              'The billing office sent you a message. Sign in to read it:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'link'}),
    ),
    'payment_method_update': Template(
        subject='Please update your payment method for {practice}',
        body=('Hi {first_name},\n\n'
              'We tried a scheduled plan payment of {amount} three times and it did not go through. '
              'Please sign in to update your payment method:\n\n'
              '{link}\n\n'
              'Questions? Call us; we are glad to help.' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
    ),
    'payment_action_needed': Template(
        subject='Your bank needs you to confirm a payment to {practice}',
        body=('Hi {first_name},\n\n'
              'Your bank asked for a confirmation before it would let a scheduled plan payment of {amount} '
              'go through. Please sign in to pay it:\n\n'
              '{link}' + _SIGN_OFF),
        fields=frozenset({'first_name', 'amount', 'link'}),
    ),
}


class UnknownTemplate(KeyError):
    pass


def get(template: str) -> Template:
    try:
        return TEMPLATES[template]
    except KeyError:
        raise UnknownTemplate(template) from None


def render(template: str, context: dict[str, object]) -> tuple[str, str]:
    """(subject, body) for a template; the practice name and phone come from settings if absent."""
    from portal.config import get_settings
    settings = get_settings()
    values: dict[str, object] = {'practice': settings.practice_name,
                                 'practice_phone': settings.practice_phone, 'first_name': 'there'}
    values.update({key: value for key, value in context.items() if value not in (None, '')})
    chosen = get(template)
    return chosen.subject.format_map(values), chosen.body.format_map(values)
