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


@pytest.mark.parametrize('host', ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
def test_demo_mode_serves_on_a_loopback_address(host: str) -> None:
    settings = Settings(_env_file=None, host=host)
    assert settings.loopback_only
    settings.check_startup()
    assert settings.startup_warnings() == []


@pytest.mark.parametrize(('overrides', 'named'), [
    ({'host': '0.0.0.0'}, 'PORTAL_HOST=0.0.0.0'),  # noqa: S104
    ({'host': 'portal.internal'}, 'PORTAL_HOST=portal.internal'),
    ({'host': '10.0.0.5', 'env': 'test'}, 'PORTAL_HOST=10.0.0.5'),
    ({'base_url': 'https://billing.example.com'}, 'PORTAL_BASE_URL=https://billing.example.com'),
])
def test_demo_mode_reachable_by_others_is_refused_naming_production(overrides: dict, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(_env_file=None, **overrides).check_startup()
    message = str(refused.value)
    assert named in message and 'PORTAL_ENV=production' in message and 'PORTAL_DEMO=1' in message


def test_an_explicit_demo_may_serve_others_with_a_warning() -> None:
    settings = Settings(_env_file=None, host='0.0.0.0', demo=True)  # noqa: S104
    settings.check_startup()
    (warning,) = settings.startup_warnings()
    assert 'PORTAL_DEMO=1' in warning and 'PORTAL_ENV=production' in warning
    assert settings.payments_mode == 'demo'  # the demo-payments banner stays


def test_production_is_never_a_demo() -> None:
    settings = Settings(_env_file=None, env='production', demo=True, storage_secret='x' * 40,
                        base_url='https://pay.example.com', stripe_secret_key='sk_live_x', stripe_webhook_secret='w')
    with pytest.raises(ConfigError, match='PORTAL_DEMO'):
        settings.check_startup()
    Settings(_env_file=None, env='production', host='0.0.0.0', storage_secret='x' * 40,  # noqa: S104
             base_url='https://pay.example.com', stripe_secret_key='sk_live_x',
             stripe_webhook_secret='w').check_startup()
