"""Assembles a provider sandbox app: routes behind bearer checking, then rate limiting."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Scope

from connectors.sandbox_kit.bearer import AccessChecker, BearerGuard, TokenOf, Unauthorized
from connectors.sandbox_kit.ratelimit import Decision, Limiter, RateLimitGuard


def build_app(
    routes: Sequence[BaseRoute],
    *,
    oauth: AccessChecker,
    protect: Callable[[str], bool],
    unauthorized: Unauthorized,
    limiter: Limiter,
    rate_key: Callable[[Scope], str | None],
    too_many: Callable[[Decision], Response],
    rate_headers: Callable[[Decision], Mapping[str, str]] = lambda _d: {},
    token_of: TokenOf | None = None,
) -> Starlette:
    """Bearer check runs first (so the limiter can key on the token's tenant), then the limiter.

    ``oauth`` is an OAuthServer or ApiKeys; ``token_of`` reads a provider-specific header.
    """
    return Starlette(
        routes=list(routes),
        middleware=[
            Middleware(
                BearerGuard,
                oauth=oauth,
                protect=protect,
                unauthorized=unauthorized,
                token_of=token_of,
            ),
            Middleware(
                RateLimitGuard,
                limiter=limiter,
                key=rate_key,
                too_many=too_many,
                headers=rate_headers,
            ),
        ],
    )


def access_in(scope: Scope) -> object | None:
    """The AccessToken BearerGuard stored in this ASGI scope, if any (for rate-limit keys)."""
    return scope.get("state", {}).get("access")
