"""Start-up work: migrate, refuse demo users in production, seed an empty demo database, and store the
practice's facts from the environment on first start (services.practice.seed_from_environment)."""
from __future__ import annotations

import logging

from sqlmodel import col, select

from portal.config import DEFAULT_DEMO_PASSWORD, ConfigError, Settings
from portal.db import migrate, read_session
from portal.models import User

log = logging.getLogger(__name__)
DEMO_EMAILS = ('patient@example.com', 'staff@example.com')


def demo_users_present() -> bool:
    with read_session() as session:
        return session.exec(select(User.id).where(col(User.email).in_(DEMO_EMAILS))).first() is not None


def prepare_database(settings: Settings) -> None:
    from portal.services.practice import seed_from_environment
    migrate()
    if settings.production:
        if demo_users_present():
            raise ConfigError('Refusing to start in production: the database holds the demo users '
                              f'({", ".join(DEMO_EMAILS)}). Use a database without demo data.')
        seed_from_environment()
        return
    if settings.seeds_demo_data:
        from portal.services.seed import seed_demo_if_empty
        summary = seed_demo_if_empty(password=settings.demo_password)
        if summary is not None:
            log.info('seeded an empty database with the demo set')
            if summary.remittance_files:
                print(summary.remittance_line(), flush=True)
    seed_from_environment()  # after the demo set, which stores its own (fuller) practice row
    if demo_users_present():
        password = 'the PORTAL_DEMO_PASSWORD you set' if settings.demo_password != DEFAULT_DEMO_PASSWORD \
            else settings.demo_password
        print(f'Demo sign-ins (password: {password}):\n'
              '  patient  patient@example.com\n  staff    staff@example.com', flush=True)
