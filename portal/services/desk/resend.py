"""Resend a statement from the account page: the same "your statement is ready" email the statement run
sends (no PHI: a first name and a link behind sign-in), to the account's email, audited."""
from __future__ import annotations

from sqlmodel import Session

from portal import audit
from portal.auth.permissions import Actor, require_account, require_staff
from portal.clock import utcnow
from portal.config import get_settings
from portal.errors import NotFound, ValidationFailed
from portal.models import GuarantorAccount, Statement
from portal.notify import outbox
from portal.services.statement_run import STATEMENT_READY


def resend_statement(session: Session, /, *, actor: Actor, statement_id: int) -> str:
    require_staff(session, actor, purpose='resend_statement')
    statement = session.get(Statement, statement_id)
    if statement is None:
        raise NotFound()
    require_account(session, actor, statement.account_id, purpose='resend_statement')
    account = session.get(GuarantorAccount, statement.account_id)
    assert account is not None
    if not account.email:
        raise ValidationFailed('There is no email on file: print the PDF and mail it.')
    now = utcnow()
    outbox.enqueue(session, channel='email', template=STATEMENT_READY, recipient=account.email,
                   dedupe_key=f'statement-resent:{statement_id}:{now:%Y%m%d%H%M%S}', account_id=account.id,
                   context={'first_name': account.guarantor_first_name,
                            'link': f'{get_settings().public_base_url}/statements/{statement_id}'})
    audit.record(session, action='resend_statement', actor_user_id=actor.user_id, actor_role=actor.role,
                 entity_type='statement', entity_id=statement_id, account_id=account.id, source_ip=actor.ip)
    return f'Statement emailed to {account.email}.'
