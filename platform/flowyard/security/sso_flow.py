"""The OpenID Connect authorization-code flow (PKCE, state, nonce) with authlib.

``begin`` stores what the callback must check in Redis (single use, 10 minutes) and binds it
to the browser with a random cookie, so a callback URL replayed in another browser (login
CSRF) is refused. ``complete`` exchanges the code, verifies the ID token's signature against
the provider's JWKS and its ``iss``/``aud``/``exp``/``nonce``, and requires a verified email in
an allowed domain. Every failure is an :class:`SsoFailure` whose code the login page explains.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.errors import JoseError as RfcJoseError
from starlette.concurrency import run_in_threadpool

from flowyard.security import sso
from flowyard.security.redis_store import client as redis_client

with warnings.catch_warnings():  # authlib 1.x marks its jose module deprecated (joserfc inside)
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from authlib.jose import JsonWebKey, JsonWebToken
    from authlib.jose.errors import JoseError
    from authlib.oidc.core import CodeIDToken

STATE_TTL_SECONDS = 600
TIMEOUT = httpx.Timeout(10.0)
SCOPE = "openid email profile"
# Asymmetric algorithms only: never "none", never HMAC keyed with a public key.
_JWT = JsonWebToken(["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"])


class SsoFailure(Exception):
    """A refused SSO sign-in; ``code`` is the login page's error code."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Started:
    authorize_url: str
    browser_token: str


@dataclass(frozen=True)
class Identity:
    """A person the identity provider vouched for."""

    agency_id: uuid.UUID
    email: str
    subject: str
    next_path: str


def _key(state: str) -> str:
    return f"fy:sso:state:{hashlib.sha256(state.encode()).hexdigest()}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def discover(issuer: str) -> dict[str, Any]:
    """The provider's metadata; its ``issuer`` must be exactly the configured one."""
    url = f"{sso.check_issuer(issuer)}/.well-known/openid-configuration"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as http:
            response = await http.get(url)
            response.raise_for_status()
            meta = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise SsoFailure("sso_unreachable", f"discovery failed: {error}") from None
    if not isinstance(meta, dict) or meta.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise SsoFailure("sso_unreachable", "discovery document names another issuer")
    for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(meta.get(field), str):
            raise SsoFailure("sso_unreachable", f"discovery document lacks {field}")
    return meta


async def begin(config: sso.SsoConfig, redirect_uri: str, next_path: str) -> Started:
    """The provider's authorization URL, and the browser-binding token for the cookie."""
    meta = await discover(config.issuer)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier, browser = secrets.token_urlsafe(48), secrets.token_urlsafe(32)
    client = AsyncOAuth2Client(config.client_id, scope=SCOPE, redirect_uri=redirect_uri,
                               code_challenge_method="S256")  # fmt: skip
    url, _state = client.create_authorization_url(
        meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
    )
    pending = {
        "agency": str(config.agency_id), "nonce": nonce, "verifier": verifier, "next": next_path,
        "browser": _digest(browser), "redirect_uri": redirect_uri,
    }  # fmt: skip
    await run_in_threadpool(
        redis_client().set, _key(state), json.dumps(pending), ex=STATE_TTL_SECONDS
    )
    return Started(url, browser)


async def _take_pending(state: str, browser_token: str | None) -> dict[str, Any]:
    if not state or len(state) > 200:
        raise SsoFailure("sso_state", "no state")
    raw = await run_in_threadpool(redis_client().getdel, _key(state))
    if raw is None:
        raise SsoFailure("sso_state", "unknown or used state")
    pending: dict[str, Any] = json.loads(raw)
    if not browser_token or not hmac.compare_digest(_digest(browser_token), pending["browser"]):
        raise SsoFailure("sso_state", "state belongs to another browser")
    return pending


def verify_id_token(
    id_token: str, jwks: dict[str, Any], *, issuer: str, client_id: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, expiry and nonce check out."""
    try:
        keys = JsonWebKey.import_key_set(jwks)
        claims = _JWT.decode(
            id_token,
            keys,
            claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "value": issuer},
                            "aud": {"essential": True, "value": client_id},
                            "nonce": {"essential": True, "value": nonce}},
            claims_params={"nonce": nonce, "client_id": client_id},
        )  # fmt: skip
        claims.validate(leeway=60)
    except (JoseError, RfcJoseError, ValueError, KeyError, TypeError) as error:
        raise SsoFailure("sso_invalid", f"ID token refused: {error}") from None
    return dict(claims)


async def _exchange(
    config: sso.SsoConfig, meta: dict[str, Any], pending: dict[str, Any], code: str
) -> tuple[str, dict[str, Any]]:
    """Swap the code for tokens (PKCE verifier, client secret) and fetch the JWKS."""
    try:
        async with AsyncOAuth2Client(
            config.client_id, config.client_secret, redirect_uri=pending["redirect_uri"],
            timeout=TIMEOUT,
        ) as client:  # fmt: skip
            token = await client.fetch_token(
                meta["token_endpoint"], code=code, code_verifier=pending["verifier"],
                redirect_uri=pending["redirect_uri"],
            )  # fmt: skip
            jwks_response = await client.get(meta["jwks_uri"])
            jwks_response.raise_for_status()
            jwks = jwks_response.json()
    except httpx.HTTPError as error:
        raise SsoFailure("sso_unreachable", f"token exchange failed: {error}") from None
    except Exception as error:  # authlib's OAuthError and bad JSON: the provider refused
        raise SsoFailure("sso_invalid", f"token exchange refused: {error}") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoFailure("sso_invalid", "no ID token in the token response")
    return id_token, jwks


async def complete(slug: str, params: dict[str, str], browser_token: str | None) -> Identity:
    """Check the callback against what ``begin`` stored and return the vouched-for person."""
    pending = await _take_pending(params.get("state", ""), browser_token)
    if params.get("error"):
        code = "sso_denied" if params["error"] == "access_denied" else "sso_invalid"
        raise SsoFailure(code, f"provider answered {params['error'][:60]}")
    agency_id = uuid.UUID(pending["agency"])
    config = await run_in_threadpool(sso.config_for_agency, agency_id)
    if config is None:
        raise SsoFailure("sso_off", "SSO was switched off meanwhile")
    if config.agency_slug != slug:
        raise SsoFailure("sso_state", "callback for another agency")
    if not params.get("code"):
        raise SsoFailure("sso_invalid", "no code")
    meta = await discover(config.issuer)
    id_token, jwks = await _exchange(config, meta, pending, params["code"])
    claims = verify_id_token(id_token, jwks, issuer=config.issuer, client_id=config.client_id,
                             nonce=pending["nonce"])  # fmt: skip
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is not True:
        raise SsoFailure("sso_unverified", f"email {email or '-'} not verified")
    if sso.domain_of(email) not in config.allowed_domains:
        raise SsoFailure("sso_domain", f"domain of {email} not allowed")
    return Identity(agency_id, email, str(claims["sub"]), pending["next"])
