"""How the Shopify actions call the REST Admin API: access-token header, errors classified once,
``page_info`` cursors read from the ``Link`` header."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import httpx

from connectors.common import send
from marketplace.sdk import ActionContext

PROVIDER = "Shopify"
API_VERSION = "2025-10"
TOKEN_HEADER = "X-Shopify-Access-Token"


def error_detail(response: httpx.Response) -> str | None:
    """Shopify's ``errors``: a sentence, a list, or ``{"field": ["problem", …]}``."""
    errors = response.json().get("errors")
    if isinstance(errors, dict):
        return "; ".join(
            f"{field} {' and '.join(map(str, p if isinstance(p, list) else [p]))}"
            for field, p in errors.items()
        )
    if isinstance(errors, list):
        return "; ".join(map(str, errors))
    return str(errors) if errors else None


class ShopifyTokenHeader(httpx.Auth):
    """Shopify reads the token from ``X-Shopify-Access-Token``, not ``Authorization``.

    Wraps whatever auth the platform gave ``ctx.http`` (bearer, refresh-on-401, rate limiting)
    and moves its bearer token to Shopify's header on every request that flow sends.
    """

    def __init__(self, inner: httpx.Auth | None) -> None:
        self.inner = inner or httpx.Auth()

    @staticmethod
    def _move(request: httpx.Request) -> httpx.Request:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            del request.headers["authorization"]
            request.headers[TOKEN_HEADER] = token.strip()
        return request

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response]:
        flow = self.inner.sync_auth_flow(request)
        outgoing = next(flow)
        while True:
            response = yield self._move(outgoing)
            try:
                outgoing = flow.send(response)
            except StopIteration:
                return


def request(ctx: ActionContext, method: str, path: str, **kwargs: Any) -> httpx.Response:
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    auth = ShopifyTokenHeader(ctx.http.auth)
    return send(
        ctx.http,
        method,
        path,
        provider=PROVIDER,
        detail=error_detail,
        headers=headers,
        auth=auth,
        **kwargs,
    )


def call(ctx: ActionContext, method: str, path: str, **kwargs: Any) -> Any:
    response = request(ctx, method, path, **kwargs)
    return response.json() if response.content else {}


def page_info(response: httpx.Response, rel: str = "next") -> str | None:
    """The ``page_info`` cursor of the ``rel`` page in the ``Link`` header, if there is one."""
    url = (response.links.get(rel) or {}).get("url")
    return httpx.URL(url).params.get("page_info") if url else None
