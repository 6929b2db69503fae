"""Statement pages: the list, one statement itemized, another account's statement is a 404, asking
about a charge opens a conversation, and the paperless switch on the profile."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, func, select

from portal.clock import utcnow
from portal.db import read_session, write_session
from portal.models import (
    AccountAccess,
    AccountFlag,
    AuditEvent,
    FlagKind,
    GuarantorAccount,
    LedgerEntry,
    Message,
    MessageThread,
    Statement,
    ThreadCategory,
)
from portal.models import User as UserRow
from tests.pages.conftest import DEMO_PATIENT, sign_in
from tests.support.documents import cents, statement_figures

DEMO_ACCOUNT = 'A10002026'


def _statements() -> tuple[Statement, Statement]:
    """The demo household's latest statement, and one of another account."""
    with read_session() as session:
        own = session.exec(select(Statement).join(GuarantorAccount, GuarantorAccount.id == Statement.account_id)
                           .where(GuarantorAccount.account_number == DEMO_ACCOUNT)
                           .order_by(Statement.id.desc())).first()
        other = session.exec(select(Statement).where(Statement.account_id != own.account_id)).first()
        return own, other


def _add_older_statements(latest: Statement) -> tuple[int, int]:
    """Two earlier statements of the demo account, inserted after the latest (so ids do not give the
    order): one paid, one never paid and long past its due date."""
    with write_session() as session:
        last_entry = session.exec(select(func.max(LedgerEntry.id))
                                  .where(LedgerEntry.account_id == latest.account_id)).one()
        made = []
        for months_back, paid_at in ((1, utcnow()), (2, None)):
            day = latest.statement_date - timedelta(days=35 * months_back)
            older = Statement(account_id=latest.account_id, period=f'{day:%Y-%m}', statement_date=day,
                              due_date=day + timedelta(days=21), last_entry_id=last_entry, amount_due=1500,
                              new_balance=1500, quick_pay_code=f'OLDER{months_back}ABCDEF'[:12], paid_at=paid_at)
            session.add(older)
            session.flush()
            made.append(older.id)
    return made[0], made[1]


async def test_list_shows_statements_newest_first_with_status(user: User) -> None:
    latest, _ = _statements()
    paid_id, overdue_id = _add_older_statements(latest)
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/statements')
    await user.should_see('Statements')
    rows = {int(re.search(r'href="/statements/(\d+)"', row.content)[1]): row.content
            for row in sorted(user.find(marker='statement-row').elements, key=lambda row: row.id)}  # page order
    with read_session() as session:
        patient = session.exec(select(UserRow.id).where(UserRow.email == DEMO_PATIENT)).one()
        accounts = session.exec(select(AccountAccess.account_id).where(AccountAccess.user_id == patient)).all()
        everything = session.exec(select(Statement).where(col(Statement.account_id).in_(accounts))).all()
    dates = {statement.id: statement.statement_date for statement in everything}
    assert set(rows) == set(dates)  # every statement of every linked account, once
    shown = list(rows)
    assert [dates[shown_id] for shown_id in shown] == sorted(dates.values(), reverse=True)
    ours = [shown_id for shown_id in shown if shown_id in (latest.id, paid_id, overdue_id)]
    assert ours == [latest.id, paid_id, overdue_id]
    assert any(word in rows[latest.id] for word in ('>Due<', '>Overdue<', '>Paid<'))
    assert '>Paid<' in rows[paid_id] and 'Overdue' not in rows[paid_id]
    assert '>Overdue<' in rows[overdue_id] and 'Paid' not in rows[overdue_id]


async def test_home_links_the_latest_statement(user: User) -> None:
    own, _ = _statements()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Latest statement')
    await user.should_see(f'/statements/{own.id}')


async def test_detail_itemizes_by_visit_with_insurance_and_meanings(user: User) -> None:
    own, _ = _statements()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/statements/{own.id}')
    await user.should_see('Summary')
    await user.should_see('Previous balance')
    await user.should_see('Visit on')
    await user.should_see('Insurance paid')
    await user.should_see('you do not owe this')
    await user.should_see('Next steps')
    await user.should_see('still processing this visit')  # the demo household has a claim with insurance
    await user.should_see('Billed to Blue Prairie Health')  # each visit names its payer and links its claim
    await user.should_see('data-testid="claim-link" href="/claims/')
    pay = next(iter(user.find(marker='pay').elements))
    assert pay.props['href'] == f'/pay?statement={own.id}'
    pdf = next(iter(user.find(marker='pdf').elements))
    assert pdf.props['href'] == f'/documents/statements/{own.id}.pdf'


async def test_another_accounts_statement_is_not_found_and_audited(user: User) -> None:
    _, other = _statements()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    for path in (f'/statements/{other.id}', f'/documents/statements/{other.id}.pdf', '/statements/999999'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert 'Page not found' in response.text
    with read_session() as session:
        denied = session.exec(select(AuditEvent).where(AuditEvent.outcome == 'denied',
                                                       AuditEvent.entity_id == str(other.account_id))).all()
    assert {event.action for event in denied} >= {'view_statement', 'download_statement'}


async def test_own_statement_pdf_is_served(user: User) -> None:
    own, _ = _statements()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    response = await user.http_client.get(f'/documents/statements/{own.id}.pdf')
    assert response.status_code == 200
    assert response.headers['content-type'] == 'application/pdf'
    assert response.content.startswith(b'%PDF')


async def _ask_about_the_first_charge(user: User) -> tuple[Statement, int]:
    """Sign in as the demo patient, open their statement and its first "Ask about this charge" dialog:
    (the statement, the charge id)."""
    own, _ = _statements()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/statements/{own.id}')
    await user.should_see('Ask about this charge')
    # the buttons carry an ask-<charge id> marker (the next-steps text names the button too: not that one)
    charge_id = min(int(marker[4:]) for element in user.find('Ask about this charge').elements
                    for marker in element._markers if marker.startswith('ask-'))
    user.find(marker=f'ask-{charge_id}').click()
    return own, charge_id


async def test_asking_about_a_charge_opens_a_thread_and_the_line_shows_it(user: User) -> None:
    own, charge_id = await _ask_about_the_first_charge(user)
    await user.should_see('Your question')
    user.find(marker='question-submit').click()
    await user.should_see('Write your question first.')
    user.find(marker='question-body').type('What is this lab charge for?')
    user.find(marker='question-submit').click()
    await user.should_see('Back to the statement')
    await user.should_see('What is this lab charge for?')
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.charge_id == charge_id)).one()
        assert (thread.category, thread.statement_id, thread.status) == ('billing_question', own.id, 'open')
        assert session.exec(select(Message).where(Message.thread_id == thread.id)).one().author_role == 'patient'
    user.find(marker='reply-body').type('Also, is it covered?')
    user.find(marker='reply-submit').click()
    await user.should_see('Also, is it covered?')
    await user.open(f'/statements/{own.id}')
    await user.should_see(marker=f'question-open-{charge_id}')


async def test_asking_about_a_charge_can_carry_a_file_and_the_field_shows_no_empty_box(user: User) -> None:
    from nicegui import ui

    from components.theme import NO_FILE_LIST
    from portal.models import StoredFile
    from tests.support import uploads
    own, charge_id = await _ask_about_the_first_charge(user)
    await user.should_see('Your question')
    (picker,) = user.find(kind=ui.upload, marker='attachments-picker').elements
    assert NO_FILE_LIST in picker.classes  # Quasar's (always empty) file list is hidden: the chosen files show below
    await picker.handle_uploads([ui.upload.SmallFileUpload('eob.pdf', 'application/pdf', uploads.pdf())])
    await user.should_see('eob.pdf')
    user.find(marker='question-body').type('My insurer says this was covered: see the EOB.')
    user.find(marker='question-submit').click()
    await user.should_see('Back to the statement')
    await user.should_see(marker='attachments')
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.charge_id == charge_id)).one()
        message = session.exec(select(Message).where(Message.thread_id == thread.id)).one()
        names = session.exec(select(StoredFile.name).where(StoredFile.owner_kind == 'message',
                                                           StoredFile.owner_id == message.id)).all()
    assert names == ['eob.pdf']


async def test_disputing_a_charge_raises_a_billing_dispute_never_a_chargeback(user: User) -> None:
    own, charge_id = await _ask_about_the_first_charge(user)
    user.find('I think this charge is wrong').click()
    user.find(marker='question-body').type('I was never seen that day.')
    user.find(marker='question-submit').click()
    await user.should_see('Back to the statement')
    with read_session() as session:
        thread = session.exec(select(MessageThread).where(MessageThread.charge_id == charge_id)).one()
        flags = session.exec(select(AccountFlag.kind).where(AccountFlag.account_id == own.account_id)).all()
    assert (thread.category, flags) == (ThreadCategory.dispute_charge, [FlagKind.dispute])

async def test_paperless_switch_is_saved(user: User) -> None:
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open('/profile')
    await user.should_see('Paperless statements')
    with read_session() as session:
        before = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
    switch = user.find(marker=f'paperless-{DEMO_ACCOUNT}')
    switch.click()
    await user.should_see('Saved')
    with read_session() as session:
        after = session.exec(select(GuarantorAccount).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
    assert after.paperless is (not before.paperless)


async def test_staff_start_a_statement_run_and_see_it_listed(user: User) -> None:
    from tests.pages.conftest import DEMO_STAFF
    await sign_in(user, DEMO_STAFF)
    await user.should_see('Collections dashboard')
    await user.open('/staff/statement-runs')
    await user.should_see('Start a statement run')
    user.find(marker='start-run').click()
    await user.should_see('Done:', retries=200)
    table = next(iter(user.find(marker='runs').elements))
    assert table.rows[0]['state'] == 'finished'


async def test_someone_elses_thread_is_not_found(user: User) -> None:
    with read_session() as session:
        own = session.exec(select(GuarantorAccount.id).where(GuarantorAccount.account_number == DEMO_ACCOUNT)).one()
        other = session.exec(select(MessageThread.id).where(MessageThread.account_id != own)).first()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    for path in (f'/messages/{other}', '/messages/99999999', '/messages/abc'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 404, path


async def test_the_pdf_prints_the_figures_the_page_shows(user: User) -> None:
    """The statement identity on paper: each summary figure and the amount due in the PDF are the
    ones on /statements/{id}, and they add up."""
    own, _ = _statements()
    await sign_in(user, DEMO_PATIENT)
    await user.should_see('Amount due')
    await user.open(f'/statements/{own.id}')
    await user.should_see('Previous balance')
    html = ' '.join(element.content for element in user.find(kind=ui.html).elements)
    shown = ' '.join(unescape(re.sub(r'<[^>]+>', ' ', html)).split())
    response = await user.http_client.get(f'/documents/statements/{own.id}.pdf')
    assert response.status_code == 200
    printed = statement_figures(response.content)
    assert {'Previous balance', 'New charges', 'Paid by insurance', 'Adjustments', 'Your payments', 'New balance',
            'Amount due'} <= printed.keys()
    for label, amount in printed.items():
        on_page = re.search(rf'{label}[^$]*?(-?\$[\d,]+\.\d\d)', shown)
        assert on_page and cents(on_page.group(1)) == amount, label
    assert sum(amount for label, amount in printed.items() if label not in ('New balance', 'Amount due')) \
        == printed['New balance']
