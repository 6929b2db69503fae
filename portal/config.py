"""Settings: one pydantic-settings class, env prefix PORTAL_, .env supported."""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORAGE_SECRET = 'dev-only-storage-secret-change-me'
DEFAULT_DEMO_PASSWORD = 'settle-demo-2026'


class ConfigError(RuntimeError):
    """Start-up refused: the message names the settings to fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='PORTAL_', env_file='.env', extra='ignore')

    env: Literal['development', 'test', 'production'] = 'development'
    host: str = '127.0.0.1'
    port: int = 8080
    reload: bool = False
    base_url: str = ''
    forwarded_allow_ips: str = '127.0.0.1'  # proxies whose X-Forwarded-For names the client

    database_url: str = 'sqlite:///data/portal.db'
    storage_secret: str = DEFAULT_STORAGE_SECRET
    redis_url: str = ''
    # uploaded files (attachments, card photos): outside any static path; shared by every process
    file_dir: str = 'data/files'

    payments: Literal['demo', 'stripe'] | None = None
    stripe_secret_key: str = ''
    stripe_webhook_secret: str = ''
    stripe_api_base: str = ''

    smtp_url: str = ''
    mail_from: str = 'billing@example.com'
    sms_provider: str = 'off'  # off, test (records, outside production), or module:factory of a provider
    sms_webhook_secret: str = ''  # shared secret of POST /webhooks/sms (inbound texts: STOP, START)

    oidc_issuer: str = ''
    oidc_client_id: str = ''
    oidc_client_secret: str = ''
    oidc_provider_name: str = ''  # the button reads "Sign in with <this>" (default: the issuer's host)
    oidc_role_claim: str = ''  # an ID token claim naming the Settle role ('staff' or 'admin'); '' keeps local roles
    oidc_mfa_acr: str = ''  # comma-separated acr values that mean the provider checked a second factor

    scheduler: Literal['on', 'off'] = 'on'
    demo: bool = False  # serve demo mode on a non-loopback host or an https address, deliberately
    demo_seed: bool | None = None  # default: seed an empty database outside production
    demo_password: str = DEFAULT_DEMO_PASSWORD

    practice_name: str = 'Riverside Family Medicine'
    practice_timezone: str = 'America/Chicago'
    practice_phone: str = '(555) 010-4400'
    practice_tax_id: str = ''  # EIN, e.g. 12-3456789: printed on receipts (HSA/FSA claims ask for it)
    practice_npi: str = ''  # the practice's group NPI, printed on receipts

    idle_timeout_minutes: int = Field(default=15, ge=2, le=240)
    idle_warning_minutes: int = Field(default=2, ge=1, le=10)
    absolute_timeout_hours: int = Field(default=8, ge=1, le=24)

    @field_validator('scheduler', mode='before')
    @classmethod
    def _scheduler_flag(cls, value: object) -> object:
        lowered = str(value).strip().lower()
        if lowered in {'1', 'true', 'yes', 'on'}:
            return 'on'
        if lowered in {'0', 'false', 'no', 'off'}:
            return 'off'
        return value

    @property
    def production(self) -> bool:
        return self.env == 'production'

    @property
    def payments_mode(self) -> Literal['demo', 'stripe']:
        if self.payments:
            return self.payments
        return 'stripe' if self.production or self.stripe_secret_key else 'demo'

    @property
    def demo_mode(self) -> bool:
        """Demo data and demo conveniences (staff MFA exemption) exist only outside production."""
        return not self.production

    @property
    def loopback_only(self) -> bool:
        """Does the portal listen on this machine only (127.0.0.0/8, ::1, localhost)?"""
        if self.host.strip().lower() == 'localhost':
            return True
        try:
            return ipaddress.ip_address(self.host.strip().strip('[]')).is_loopback
        except ValueError:  # a host name other than localhost may resolve to anything
            return False

    def demo_exposure(self) -> str | None:
        """Why this demo-mode start would be reachable by others (None when it is not, or is asked for)."""
        if self.production or self.demo:
            return None
        if not self.loopback_only:
            return f'PORTAL_HOST={self.host} is not a loopback address'
        if self.base_url.startswith('https://'):
            return f'PORTAL_BASE_URL={self.base_url} is a public https address'
        return None

    @property
    def https(self) -> bool:
        return self.public_base_url.startswith('https://')

    @property
    def seeds_demo_data(self) -> bool:
        return not self.production and self.demo_seed is not False

    @property
    def public_base_url(self) -> str:
        return (self.base_url or f'http://{self.host}:{self.port}').rstrip('/')

    def production_problems(self) -> list[str]:
        """What stops a production start, one line per setting to fix."""
        problems: list[str] = []
        if not self.storage_secret or self.storage_secret == DEFAULT_STORAGE_SECRET or len(self.storage_secret) < 32:
            problems.append('PORTAL_STORAGE_SECRET: set a random secret of at least 32 characters')
        if self.payments == 'demo':
            problems.append('PORTAL_PAYMENTS: demo payments are not allowed in production; use stripe')
        if self.payments_mode == 'stripe':
            if not self.stripe_secret_key:
                problems.append('PORTAL_STRIPE_SECRET_KEY: required for Stripe payments')
            if not self.stripe_webhook_secret:
                problems.append('PORTAL_STRIPE_WEBHOOK_SECRET: required to verify Stripe webhooks')
        if self.demo_seed:
            problems.append('PORTAL_DEMO_SEED: remove it or set it to false; production never seeds demo data')
        if self.demo:
            problems.append('PORTAL_DEMO: remove it; production is never a demo')
        if self.sms_provider == 'test':
            problems.append('PORTAL_SMS_PROVIDER: the test provider only records texts; use off or a real provider')
        if not self.base_url.startswith('https://'):
            problems.append('PORTAL_BASE_URL: set the public https:// address of the portal')
        return problems

    def check_startup(self) -> None:
        if self.production:
            problems = self.production_problems()
            if problems:
                raise ConfigError('Refusing to start in production. Fix these settings:\n  - '
                                  + '\n  - '.join(problems))
        elif (exposure := self.demo_exposure()) is not None:
            raise ConfigError(
                f'Refusing to start in demo mode: {exposure}. Demo mode has published sign-ins, no second '
                'factor for staff and pretend payments. Set PORTAL_ENV=production to serve real patients, '
                'or PORTAL_DEMO=1 to serve this demo to others on purpose.')
        elif self.payments_mode == 'stripe' and not self.stripe_secret_key:
            raise ConfigError('PORTAL_STRIPE_SECRET_KEY: required when PORTAL_PAYMENTS=stripe')

    def startup_warnings(self) -> list[str]:
        """Lines to print at start (not refusals)."""
        if self.demo and not self.production:
            return ['WARNING: PORTAL_DEMO=1: demo mode is served to others. Anyone who reads the README can '
                    'sign in with the demo accounts; never put real patient data here (use PORTAL_ENV=production).']
        return []


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reload_settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()
