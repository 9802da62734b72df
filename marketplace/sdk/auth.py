"""How a connector authenticates, declared once per connector."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NoAuth:
    kind: str = field(default="none", init=False)


@dataclass(frozen=True)
class ApiKeyAuth:
    """A key sent in a header (or as a bearer token)."""

    header: str = "Authorization"
    prefix: str = "Bearer "
    label: str = "API key"
    kind: str = field(default="api_key", init=False)


@dataclass(frozen=True)
class BasicAuth:
    username_label: str = "Username"
    password_label: str = "Password"
    kind: str = field(default="basic", init=False)


@dataclass(frozen=True)
class OAuth2AuthCode:
    """OAuth 2.0 authorization code flow with PKCE (RFC 7636)."""

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    revoke_url: str | None = None
    pkce: bool = True
    extra_authorize_params: tuple[tuple[str, str], ...] = ()
    kind: str = field(default="oauth2_code", init=False)


@dataclass(frozen=True)
class OAuth2ClientCredentials:
    token_url: str
    scopes: tuple[str, ...] = ()
    kind: str = field(default="oauth2_client_credentials", init=False)


Auth = NoAuth | ApiKeyAuth | BasicAuth | OAuth2AuthCode | OAuth2ClientCredentials
