"""Staff single sign-on (OpenID Connect, with Authlib) when `PORTAL_OIDC_ISSUER` is set.

GET /auth/oidc/start sends the browser to the provider (authorization code flow with PKCE S256; Authlib
keeps `state`, `nonce` and the code verifier in the signed session cookie). GET /auth/oidc/callback takes
the code, exchanges it, and has Authlib verify the ID token (signature against the provider's keys, issuer,
audience, expiry, nonce); portal.services.identity.single_sign_on finds the user and says whether the
provider checked a second factor. The browser then gets a new browser id holding the sign-in, as after a
password sign-in (pages/session_handoff.py). Each refusal is audited and lands on the sign-in page with
its reason. Both routes are public in the middleware.
"""
from __future__ import annotations

from functools import cache

import httpx
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from authlib.integrations.starlette_client import OAuth
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError
from nicegui import app, run
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from components import session
from pages.session_handoff import move_session
from portal.config import get_settings
from portal.services.identity import single_sign_on as sso

START = '/auth/oidc/start'
CALLBACK = '/auth/oidc/callback'


def enabled() -> bool:
    return bool(get_settings().oidc_issuer)


@cache
def _client(issuer: str, client_id: str, client_secret: str):  # noqa: ANN202  (Authlib's StarletteOAuth2App)
    """One Authlib client per configuration (tests change the settings between runs)."""
    oauth = OAuth()
    return oauth.register('practice', server_metadata_url=issuer.rstrip('/') + '/.well-known/openid-configuration',
                          client_id=client_id, client_secret=client_secret,
                          client_kwargs={'scope': 'openid email profile', 'code_challenge_method': 'S256',
                                         'timeout': 10})


def client():  # noqa: ANN201
    settings = get_settings()
    return _client(settings.oidc_issuer, settings.oidc_client_id, settings.oidc_client_secret)


def claims_options() -> dict:
    """What the ID token must say besides its signature, expiry and nonce: this issuer, this portal as audience."""
    settings = get_settings()
    base = settings.oidc_issuer.rstrip('/')  # providers differ on a trailing slash (Auth0 writes one): take either
    return {'iss': {'essential': True, 'values': [base, base + '/']},
            'aud': {'essential': True, 'values': [settings.oidc_client_id]}}


async def _refuse(request: Request, reason: str, detail: str = '') -> Response:
    ip = request.client.host if request.client else ''
    await run.io_bound(sso.record_refusal, reason=reason, ip=ip, detail=detail[:120])
    return RedirectResponse(f'/?reason=sso-{reason}', status_code=303)


async def start(request: Request) -> Response:
    if not enabled():
        return RedirectResponse('/', status_code=303)
    try:
        return await client().authorize_redirect(request, get_settings().public_base_url + CALLBACK)
    except (httpx.HTTPError, OAuthError, ValueError) as error:
        return await _refuse(request, 'down', type(error).__name__)


async def callback(request: Request) -> Response:
    if not enabled():
        return RedirectResponse('/', status_code=303)
    try:
        token = await client().authorize_access_token(request, claims_options=claims_options())
    except MismatchingStateError:
        return await _refuse(request, 'state')
    except OAuthError as error:
        if error.error == 'invalid_grant':
            return await _refuse(request, 'code', error.description or '')
        if error.error == 'access_denied':
            return await _refuse(request, 'denied')
        return await _refuse(request, 'token', error.error or '')
    except ExpiredTokenError:
        return await _refuse(request, 'expired')
    except InvalidClaimError as error:
        return await _refuse(request, 'audience' if error.claim == 'aud' else 'token', f'claim {error.claim}')
    except JoseError as error:
        return await _refuse(request, 'token', type(error).__name__)
    except httpx.HTTPError as error:
        return await _refuse(request, 'down', type(error).__name__)
    if 'userinfo' not in token:
        return await _refuse(request, 'token', 'no id token')
    claims = sso.claims_from_id_token(dict(token['userinfo']))
    try:
        identity, provider_mfa = await run.io_bound(sso.sso_sign_in, claims=claims,
                                                    ip=request.client.host if request.client else '')
    except sso.SsoRefused as refused:  # audited by the service
        return RedirectResponse(f'/?reason=sso-{refused.reason}', status_code=303)
    auth = session.new_auth(identity)
    if provider_mfa:
        auth['mfa_ok'] = True
    await move_session(request, str(request.session.get('id', '')), auth)
    return RedirectResponse('/staff' if auth['mfa_ok'] else '/mfa', status_code=303)


def register() -> None:
    app.get(START, include_in_schema=False)(start)
    app.get(CALLBACK, include_in_schema=False)(callback)
