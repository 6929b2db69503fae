"""Thin NiceGUI pages: they call services only. `register()` adds every page and route to the app
(main.py calls it on every start; NiceGUI's test user re-runs main.py for each test)."""
from __future__ import annotations

from portal.jobs.scheduler import SchedulerService


def register(scheduler: SchedulerService) -> None:
    from components import not_found
    from pages import auth, mfa, middleware, profile, session_handoff, system
    from pages.patient import home as patient_home
    from pages.staff import home as staff_home

    middleware.register()
    not_found.register()
    system.register(scheduler)
    auth.register(patient_home=patient_home.content)
    session_handoff.register()
    mfa.register()
    profile.register()
    staff_home.register()
    from pages.staff import dashboard_drill, dashboard_payments, dashboard_rows
    dashboard_drill.register()
    dashboard_payments.register()
    dashboard_rows.register()
    from pages import documents, files
    from pages.patient import messages, messages_new, messages_thread, statements
    from pages.staff import statement_runs
    statements.register()
    messages.register()
    messages_new.register()  # before /messages/{thread_id}, which would take 'new' for an id
    messages_thread.register()
    documents.register()
    files.register()
    statement_runs.register()
    from pages import payments
    from pages.staff import account_page as staff_account_page
    from pages.staff import accounts as staff_accounts
    from pages.staff import approvals as staff_approvals
    from pages.staff import new_account as staff_new_account
    payments.register()
    staff_new_account.register()  # before /staff/accounts/{id}: 'new' is no id
    staff_accounts.register()
    staff_account_page.register()
    staff_approvals.register()
    from pages.patient import plans as patient_plans
    from pages.staff import plans as staff_plans
    patient_plans.register()
    from pages.patient import claims as patient_claims
    patient_claims.register()
    staff_plans.register()
    from pages.staff import messages as staff_messages
    from pages.staff import saved_replies as staff_saved_replies
    staff_messages.register()
    staff_saved_replies.register()
    from pages.patient import insurance
    from pages.staff import insurance as staff_insurance
    insurance.register()
    from pages.patient import appointments
    appointments.register()
    staff_insurance.register()
    from pages.staff import schedule as staff_schedule
    staff_schedule.register()
    from pages.staff import admin_schedule
    admin_schedule.register()
    from pages.staff import remittances as staff_remittances
    staff_remittances.register()
    register_notifications(scheduler)
    register_admin(scheduler)
    from pages import wire
    from portal.config import get_settings
    wire.register(get_settings())


def register_notifications(scheduler: SchedulerService) -> None:
    """The scheduler's and the outbox's staff pages, and inbound texts."""
    from pages import sms_webhook
    from pages.staff import jobs as staff_jobs
    from pages.staff import notifications as staff_notifications
    staff_jobs.register(scheduler)
    staff_notifications.register()
    sms_webhook.register()


def register_admin(scheduler: SchedulerService) -> None:
    """The admin pages (users, practice settings, audit log), the staff invitation link and staff single
    sign-on."""
    from pages import invite, single_sign_on
    single_sign_on.register()
    from pages.staff.admin import audit_log, settings, users
    invite.register()
    users.register()
    settings.register(scheduler)
    audit_log.register()
