"""Settings: defaults for a demo, and a production start that refuses what is unsafe."""
from __future__ import annotations

import pytest

from portal.config import ConfigError, Settings


def test_defaults_run_a_demo_on_sqlite() -> None:
    settings = Settings(_env_file=None)
    assert settings.database_url == 'sqlite:///data/portal.db'
    assert settings.payments_mode == 'demo'
    assert (settings.host, settings.port) == ('127.0.0.1', 8080)
    settings.check_startup()


def test_production_refuses_defaults_and_names_each_setting_to_fix() -> None:
    settings = Settings(_env_file=None, env='production', payments='demo', demo_seed=True)
    with pytest.raises(ConfigError) as refused:
        settings.check_startup()
    message = str(refused.value)
    for name in ('PORTAL_STORAGE_SECRET', 'PORTAL_PAYMENTS', 'PORTAL_DEMO_SEED', 'PORTAL_BASE_URL'):
        assert name in message


def test_production_with_stripe_needs_its_keys() -> None:
    settings = Settings(_env_file=None, env='production', storage_secret='x' * 40, demo_seed=False,
                        base_url='https://pay.example.com')
    with pytest.raises(ConfigError, match='PORTAL_STRIPE_SECRET_KEY'):
        settings.check_startup()
    Settings(_env_file=None, env='production', storage_secret='x' * 40, demo_seed=False,
             base_url='https://pay.example.com', stripe_secret_key='sk_live_x',
             stripe_webhook_secret='whsec_x').check_startup()


@pytest.mark.parametrize(('raw', 'value'), [('1', 'on'), ('true', 'on'), ('off', 'off'), ('0', 'off')])
def test_scheduler_switch_accepts_common_spellings(raw: str, value: str) -> None:
    assert Settings(_env_file=None, scheduler=raw).scheduler == value
