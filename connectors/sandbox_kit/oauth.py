"""An in-memory OAuth 2.0 authorization server (RFC 6749 code grant, RFC 7636 PKCE, RFC 7009).

Strict where real providers are strict (exact redirect_uri, single-use short-lived codes, S256
verifier, rotating refresh tokens), so connector code that passes here does not break against the
real thing. HTTP framing lives in :mod:`connectors.sandbox_kit.oauth_routes`; this module is
plain logic plus the switches tests need (revoke a grant, expire tokens).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from connectors.sandbox_kit.clock import Clock, SystemClock


class OAuthError(Exception):
    """An RFC 6749 error: code, description and the HTTP status the token endpoint answers."""

    def __init__(
        self, error: str, description: str = "", status: int = 400, *, reason: str = ""
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.reason = reason or error
        """Finer cause (code_unknown, code_used, code_expired, redirect_uri, verifier, client,
        refresh_invalid, refresh_used, refresh_expired) for providers with their own error codes."""

    def body(self) -> dict[str, str]:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out


class AuthorizePageError(OAuthError):
    """An authorize request we must not redirect (unknown client or unregistered redirect_uri)."""


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]


@dataclass
class Grant:
    """One user's consent to one client: the thing a refresh token (and revocation) hangs on."""

    grant_id: str
    client_id: str
    scopes: tuple[str, ...]
    tenant_ids: tuple[str, ...]
    subject: str
    created_at: float
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: float
    revoked: bool = False


@dataclass
class _Code:
    code: str
    client_id: str
    redirect_uri: str
    challenge: str | None
    scopes: tuple[str, ...]
    tenant_ids: tuple[str, ...]
    subject: str
    expires_at: float
    used: bool = False
    grant: Grant | None = None


@dataclass
class _Refresh:
    token: str
    grant: Grant
    expires_at: float
    rotated_at: float | None = None


@dataclass
class OAuthSettings:
    """Provider-specific knobs; defaults follow RFC 6749 / OAuth 2.1 best practice."""

    access_ttl: int = 1800
    code_ttl: int = 300
    refresh_ttl: int = 60 * 86400
    rotate_refresh_tokens: bool = True
    echo_refresh_token: bool = True
    """Without rotation: repeat the refresh token on refresh (HubSpot) or leave it out (Asana)."""
    refresh_grace_seconds: float = 0.0
    require_pkce: bool = True
    refresh_scope: str | None = None
    """Issue a refresh token only when this scope was granted (Xero: ``offline_access``)."""
    allowed_scopes: frozenset[str] | None = None
    default_tenants: tuple[str, ...] = ("tenant-1",)
    token_extras: Callable[[Grant], Mapping[str, Any]] = field(default=lambda _grant: {})
    access_token_prefix: str = ""
    """Providers whose tokens say what they are (Slack bot tokens start ``xoxb-``)."""


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _with_query(url: str, params: Mapping[str, str]) -> str:
    joiner = "&" if "?" in url else "?"
    return url + joiner + urlencode(params)


class OAuthServer:
    """Clients, codes, grants and tokens for one sandbox; safe to call from any thread."""

    def __init__(self, settings: OAuthSettings | None = None, *, clock: Clock | None = None):
        self.settings = settings or OAuthSettings()
        self.clock = clock or SystemClock()
        self._lock = threading.RLock()
        self._clients: dict[str, Client] = {}
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._grants: dict[str, Grant] = {}

    # -- setup ---------------------------------------------------------------------------------
    def register_client(
        self,
        redirect_uris: tuple[str, ...] | list[str],
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> Client:
        client = Client(
            client_id=client_id or secrets.token_hex(16).upper(),
            client_secret=client_secret or secrets.token_urlsafe(32),
            redirect_uris=tuple(redirect_uris),
        )
        with self._lock:
            self._clients[client.client_id] = client
        return client

    def client(self, client_id: str) -> Client | None:
        """A registered client (sandboxes sign or scope things with its secret)."""
        with self._lock:
            return self._clients.get(client_id)

    # -- authorize endpoint --------------------------------------------------------------------
    def authorize(self, params: Mapping[str, str]) -> str:
        """Auto-consent (or deny when ``consent=deny``); returns the URL to redirect to."""
        client = self._clients.get(params.get("client_id", ""))
        if client is None:
            raise AuthorizePageError("invalid_client", "Unknown client_id.")
        redirect_uri = params.get("redirect_uri", "")
        if redirect_uri not in client.redirect_uris:
            raise AuthorizePageError("invalid_request", "redirect_uri is not registered.")
        state = {"state": params["state"]} if "state" in params else {}

        def fail(error: str, description: str) -> str:
            return _with_query(
                redirect_uri, {"error": error, "error_description": description, **state}
            )

        if params.get("response_type") != "code":
            return fail("unsupported_response_type", "Only response_type=code is supported.")
        if params.get("consent", "allow").lower() in {"deny", "denied", "false", "no"}:
            return fail("access_denied", "The user declined to authorise the app.")
        scopes = tuple(params.get("scope", "").split())
        allowed = self.settings.allowed_scopes
        if allowed is not None and not set(scopes) <= allowed:
            unknown = " ".join(sorted(set(scopes) - allowed))
            return fail("invalid_scope", f"Unknown scope(s): {unknown}.")
        challenge = params.get("code_challenge")
        method = params.get("code_challenge_method", "plain")
        if challenge is None and self.settings.require_pkce:
            return fail("invalid_request", "code_challenge is required (PKCE).")
        if challenge is not None and method != "S256":
            return fail("invalid_request", "Only code_challenge_method=S256 is accepted.")
        tenants = tuple(t for t in params.get("sandbox_tenant", "").split(",") if t)
        code = _Code(
            code=secrets.token_urlsafe(32),
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            challenge=challenge,
            scopes=scopes,
            tenant_ids=tenants or self.settings.default_tenants,
            subject=params.get("sandbox_user", "user-1"),
            expires_at=self.clock.now() + self.settings.code_ttl,
        )
        with self._lock:
            self._codes[code.code] = code
        return _with_query(redirect_uri, {"code": code.code, **state})

    # -- token endpoint ------------------------------------------------------------------------
    def token(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """Handle a token request; raises OAuthError with the RFC error code on failure."""
        client = self.authenticate(form, basic)
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                return self._exchange_code(client, form)
            if grant_type == "refresh_token":
                return self._refresh_grant(client, form)
        raise OAuthError(
            "unsupported_grant_type",
            f"grant_type {grant_type!r} is not supported.",
            reason="grant_type",
        )

    def authenticate(self, form: Mapping[str, str], basic: tuple[str, str] | None) -> Client:
        client_id, secret = basic if basic else (form.get("client_id"), form.get("client_secret"))
        client = self._clients.get(client_id or "")
        if client is None or not secrets.compare_digest(client.client_secret, secret or ""):
            raise OAuthError(
                "invalid_client", "Client authentication failed.", status=401, reason="client"
            )
        return client

    def _exchange_code(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        code = self._codes.get(form.get("code", ""))
        if code is None or code.client_id != client.client_id:
            raise OAuthError(
                "invalid_grant", "The authorization code is invalid.", reason="code_unknown"
            )
        if code.used:
            if code.grant is not None:  # RFC 6749 §4.1.2: a replayed code revokes its tokens
                code.grant.revoked = True
            raise OAuthError(
                "invalid_grant", "The authorization code was already used.", reason="code_used"
            )
        if self.clock.now() >= code.expires_at:
            raise OAuthError(
                "invalid_grant", "The authorization code has expired.", reason="code_expired"
            )
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(
                "invalid_grant",
                "redirect_uri does not match the authorize request.",
                reason="redirect_uri",
            )
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier or not secrets.compare_digest(s256(verifier), code.challenge):
                raise OAuthError(
                    "invalid_grant",
                    "code_verifier does not match code_challenge.",
                    reason="verifier",
                )
        code.used = True
        grant = Grant(
            grant_id=str(uuid.uuid4()),
            client_id=client.client_id,
            scopes=code.scopes,
            tenant_ids=code.tenant_ids,
            subject=code.subject,
            created_at=self.clock.now(),
        )
        code.grant = grant
        self._grants[grant.grant_id] = grant
        wants_refresh = self.settings.refresh_scope is None or (
            self.settings.refresh_scope in grant.scopes
        )
        return self._issue(grant, refresh=self._new_refresh(grant) if wants_refresh else None)

    def _refresh_grant(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        now = self.clock.now()
        old = self._refresh.get(form.get("refresh_token", ""))
        if old is None or old.grant.revoked or old.grant.client_id != client.client_id:
            raise OAuthError(
                "invalid_grant",
                "The refresh token is invalid or revoked.",
                reason="refresh_invalid",
            )
        if now >= old.expires_at:
            raise OAuthError(
                "invalid_grant", "The refresh token has expired.", reason="refresh_expired"
            )
        if not self.settings.rotate_refresh_tokens:
            return self._issue(old.grant, refresh=old if self.settings.echo_refresh_token else None)
        if (
            old.rotated_at is not None
            and now - old.rotated_at >= self.settings.refresh_grace_seconds
        ):
            raise OAuthError(
                "invalid_grant", "The refresh token was already used.", reason="refresh_used"
            )
        if old.rotated_at is None:
            old.rotated_at = now
        return self._issue(old.grant, refresh=self._new_refresh(old.grant))

    def _new_refresh(self, grant: Grant) -> _Refresh:
        refresh = _Refresh(
            token=secrets.token_urlsafe(32),
            grant=grant,
            expires_at=self.clock.now() + self.settings.refresh_ttl,
        )
        self._refresh[refresh.token] = refresh
        return refresh

    def _issue(self, grant: Grant, *, refresh: _Refresh | None) -> dict[str, Any]:
        access = AccessToken(
            token=self.settings.access_token_prefix + secrets.token_urlsafe(32),
            grant=grant,
            expires_at=self.clock.now() + self.settings.access_ttl,
        )
        self._access[access.token] = access
        body: dict[str, Any] = {
            "access_token": access.token,
            "token_type": "Bearer",
            "expires_in": self.settings.access_ttl,
            "scope": " ".join(grant.scopes),
        }
        if refresh is not None:
            body["refresh_token"] = refresh.token
        body.update(self.settings.token_extras(grant))
        return body

    # -- revocation and bearer checks ----------------------------------------------------------
    def revoke(self, token: str) -> None:
        """RFC 7009: a refresh token revokes its whole grant; an access token only itself."""
        with self._lock:
            if token in self._refresh:
                self._refresh[token].grant.revoked = True
            elif token in self._access:
                self._access[token].revoked = True

    def check_access(self, token: str | None) -> tuple[AccessToken | None, str]:
        """(token, "ok") or (None, reason) with reason one of missing/invalid/expired/revoked."""
        if not token:
            return None, "missing"
        access = self._access.get(token)
        if access is None:
            return None, "invalid"
        if access.revoked or access.grant.revoked:
            return None, "revoked"
        if self.clock.now() >= access.expires_at:
            return None, "expired"
        return access, "ok"

    # -- test controls -------------------------------------------------------------------------
    def issue_token(
        self,
        client: Client,
        *,
        scopes: tuple[str, ...] = (),
        tenant_ids: tuple[str, ...] | None = None,
        subject: str = "user-1",
    ) -> dict[str, Any]:
        """Tokens without the browser dance, for action tests that are not about OAuth."""
        with self._lock:
            grant = Grant(
                grant_id=str(uuid.uuid4()),
                client_id=client.client_id,
                scopes=scopes,
                tenant_ids=tenant_ids or self.settings.default_tenants,
                subject=subject,
                created_at=self.clock.now(),
            )
            self._grants[grant.grant_id] = grant
            return self._issue(grant, refresh=self._new_refresh(grant))

    def grants(self) -> list[Grant]:
        with self._lock:
            return list(self._grants.values())

    def revoke_grant(self, grant_id: str | None = None) -> None:
        """Simulate the user disconnecting the app (one grant, or every grant if None)."""
        with self._lock:
            for grant in self._grants.values():
                if grant_id is None or grant.grant_id == grant_id:
                    grant.revoked = True

    def expire_access_tokens(self) -> None:
        with self._lock:
            past = self.clock.now() - 1
            for access in self._access.values():
                access.expires_at = min(access.expires_at, past)

    def expire_refresh_tokens(self) -> None:
        with self._lock:
            past = self.clock.now() - 1
            for refresh in self._refresh.values():
                refresh.expires_at = min(refresh.expires_at, past)
