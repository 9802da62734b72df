"""Bearer-token checking middleware: refuses API calls the way the provider does (its 401 body)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.sandbox_kit.oauth import AccessToken

Unauthorized = Callable[[str], Response]
"""Builds the provider's 401 response from a reason: missing, invalid, expired or revoked."""

TokenOf = Callable[[Headers], str | None]
"""Where the provider reads the credential from (default: ``Authorization: Bearer``)."""


class AccessChecker(Protocol):
    """:class:`OAuthServer` or :class:`ApiKeys`: (token, "ok") or (None, reason)."""

    def check_access(self, token: str | None) -> tuple[AccessToken | None, str]: ...


def bearer_token(headers: Headers) -> str | None:
    scheme, _, value = headers.get("authorization", "").partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


class BearerGuard:
    """ASGI middleware: paths for which ``protect(path)`` is true need a live access token."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        oauth: AccessChecker,
        protect: Callable[[str], bool],
        unauthorized: Unauthorized,
        token_of: TokenOf | None = None,
    ) -> None:
        self.app = app
        self.oauth = oauth
        self.protect = protect
        self.unauthorized = unauthorized
        self.token_of = token_of or bearer_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.protect(scope["path"]):
            await self.app(scope, receive, send)
            return
        access, reason = self.oauth.check_access(self.token_of(Headers(scope=scope)))
        if access is None:
            await self.unauthorized(reason)(scope, receive, send)
            return
        scope.setdefault("state", {})["access"] = access
        await self.app(scope, receive, send)


def access_of(request: Request) -> AccessToken:
    """The access token BearerGuard accepted for this request."""
    return request.state.access
