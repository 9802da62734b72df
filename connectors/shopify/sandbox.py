"""A local Shopify store: the OAuth install (comma scopes, HMAC-signed install and callback
queries, non-expiring offline tokens), the REST Admin API subset the connector uses (orders with
``page_info`` Link paging, customers, products, inventory, webhooks), the leaky-bucket limit
(40, leaking 2/s; 429 with ``Retry-After`` and ``X-Shopify-Shop-Api-Call-Limit``) and signed
order webhooks (:mod:`connectors.shopify.sandbox_webhooks`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from connectors.sandbox_kit import (
    AccessToken,
    Client,
    Clock,
    Decision,
    Delivery,
    LeakyBucketLimiter,
    OAuthError,
    OAuthServer,
    OAuthSettings,
    SystemClock,
    access_in,
    access_of,
    build_app,
    comma_separated_scopes,
    oauth_routes,
    rebase,
)
from connectors.shopify import ORIGINS
from connectors.shopify import connector as production_connector
from connectors.shopify.client import API_VERSION, TOKEN_HEADER
from connectors.shopify.install import query_hmac
from connectors.shopify.sandbox_orders import list_orders
from connectors.shopify.sandbox_store import Shop, ShopifyError
from connectors.shopify.sandbox_webhooks import ShopifyWebhooks
from marketplace.sdk import Connector

API = f"/admin/api/{API_VERSION}"
TEN_YEARS = 10 * 365 * 86400


def errors(status: int, detail: Any, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": detail}, status_code=status, headers=dict(headers or {}))


def _unauthorized(_reason: str) -> Response:
    return errors(
        401, "[API] Invalid API key or access token (unrecognized login or wrong password)"
    )


def _token_of(headers: Headers) -> str | None:
    return headers.get(TOKEN_HEADER.lower()) or None


def _token_error(failure: OAuthError, _form: Mapping[str, str]) -> dict[str, str]:
    if failure.reason.startswith("code"):
        description = "The authorization code was not found or was already used"
        return {"error": "invalid_request", "error_description": description}
    return failure.body()


class ShopifySandbox:
    """State and app of one simulated store; serve ``.app`` with SandboxServer."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        shop_domain: str = "flowyard-demo.myshopify.com",
        bucket_size: int = 40,
        leak_per_second: float = 2.0,
    ) -> None:
        self.clock = clock or SystemClock()
        self.webhooks = ShopifyWebhooks(Shop(shop_domain, self.clock))
        self.shop = self.webhooks.shop
        self.shop.emit = self.webhooks.queue
        self.oauth = OAuthServer(
            OAuthSettings(
                access_ttl=TEN_YEARS,
                code_ttl=600,
                require_pkce=False,
                default_tenants=(shop_domain,),
            ),
            clock=self.clock,
        )
        self.limiter = LeakyBucketLimiter(bucket_size, leak_per_second, self.clock)
        self.app = build_app(
            self._routes(),
            oauth=self.oauth,
            protect=lambda path: path.startswith(API),
            unauthorized=_unauthorized,
            limiter=self.limiter,
            rate_key=self._rate_key,
            too_many=self._too_many,
            rate_headers=self._call_limit,
            token_of=_token_of,
        )

    def register_client(self, redirect_uris: tuple[str, ...] | list[str]) -> Client:
        return self.oauth.register_client(redirect_uris)

    def connector(self, base_url: str) -> Connector:
        return rebase(production_connector, ORIGINS, base_url)

    def install_query(self, client: Client, **extra: str) -> str:
        """The signed query Shopify appends to the app URL when a merchant installs the app."""
        params = {
            "host": base64.b64encode(f"{self.shop.domain}/admin".encode()).decode(),
            "shop": self.shop.domain,
            "timestamp": str(int(self.clock.now())),
            **extra,
        }
        return urlencode({**params, "hmac": query_hmac(params, client.client_secret)})

    def deliver_events(self) -> list[Delivery]:
        return self.webhooks.deliver()

    # -- OAuth ---------------------------------------------------------------------------------
    def _signed_callback(self, target: str, params: Mapping[str, str]) -> str:
        url = httpx.URL(target)
        client = self.oauth.client(params.get("client_id", ""))
        if client is None or "code" not in url.params:
            return target
        query = {**dict(url.params), "shop": self.shop.domain,
                 "timestamp": str(int(self.clock.now()))}  # fmt: skip
        query["hmac"] = query_hmac(query, client.client_secret)
        return str(url.copy_with(query=urlencode(query).encode()))

    @staticmethod
    def _token_body(body: dict[str, Any], _form: Mapping[str, str]) -> dict[str, Any]:
        """Offline tokens: no expiry, no refresh token, scopes comma-separated."""
        return {"access_token": body["access_token"], "scope": body["scope"].replace(" ", ",")}

    # -- rate limiting -------------------------------------------------------------------------
    @staticmethod
    def _rate_key(scope: Scope) -> str | None:
        access = access_in(scope)
        if not isinstance(access, AccessToken):
            return None
        return f"{access.grant.client_id}:{','.join(access.grant.tenant_ids)}"

    def _call_limit(self, decision: Decision) -> dict[str, str]:
        used = self.limiter.size - decision.remaining.get(self.limiter.name, 0)
        return {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{self.limiter.size}"}

    def _too_many(self, decision: Decision) -> Response:
        rate = f"{self.limiter.leak_per_second:g}"
        return errors(
            429,
            f"Exceeded {rate} calls per second for api client. "
            "Reduce request rates to resume uninterrupted service.",
            {"Retry-After": f"{decision.retry_after:.1f}", **self._call_limit(decision)},
        )

    # -- endpoints -----------------------------------------------------------------------------
    def _endpoint(
        self, scope: str, handler: Callable[[Request, Any], Any], status: int = 200
    ) -> Callable[[Request], Any]:
        """``read_x`` is satisfied by ``write_x`` too, as on Shopify."""

        async def endpoint(request: Request) -> Response:
            granted = set(access_of(request).grant.scopes)
            if scope not in granted and scope.replace("read_", "write_") not in granted:
                return errors(
                    403, f"[API] This action requires merchant approval for {scope} scope."
                )
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return errors(400, "Bad Request")
            try:
                result = handler(request, body)
            except ShopifyError as failure:
                return errors(failure.status, failure.errors)
            return result if isinstance(result, Response) else JSONResponse(result, status)

        return endpoint

    @staticmethod
    def _id(request: Request) -> int:
        raw = request.path_params["id"]
        if not raw.isdigit():
            raise ShopifyError(404, "Not Found")
        return int(raw)

    def _list_orders(self, request: Request, _body: Any) -> Response:
        return list_orders(self.shop, request)

    def _client_of(self, request: Request) -> Client:
        client = self.oauth.client(access_of(request).grant.client_id)
        assert client is not None  # tokens only exist for registered clients
        return client

    def _get_order(self, request: Request, _body: Any) -> Any:
        return {"order": self.shop.get(self.shop.orders, self._id(request))}

    def _search_customers(self, request: Request, _body: Any) -> Any:
        found = self.shop.search_customers(request.query_params.get("query", ""))
        return {"customers": found[: int(request.query_params.get("limit", 50))]}

    def _create_customer(self, _request: Request, body: Any) -> Any:
        return {"customer": self.shop.create_customer(body.get("customer") or {})}

    def _get_product(self, request: Request, _body: Any) -> Any:
        return {"product": self.shop.product(self._id(request))}

    def _locations(self, _request: Request, _body: Any) -> Any:
        return {"locations": list(self.shop.locations.values())}

    def _adjust(self, _request: Request, body: Any) -> Any:
        numbers = [int(body.get(k) or 0) for k in
                   ("location_id", "inventory_item_id", "available_adjustment")]  # fmt: skip
        return {"inventory_level": self.shop.adjust(*numbers)}

    def _create_webhook(self, request: Request, body: Any) -> Any:
        client = self._client_of(request)
        return self.webhooks.create(body, client.client_id, client.client_secret)

    def _list_webhooks(self, request: Request, _body: Any) -> Any:
        return self.webhooks.listing(self._client_of(request).client_id)

    def _delete_webhook(self, request: Request, _body: Any) -> Any:
        return self.webhooks.delete(self._id(request), self._client_of(request).client_id)

    def _routes(self) -> list[Route]:
        def api(path: str, scope: str, handler: Callable, method: str = "GET", status: int = 200):
            return Route(f"{API}{path}", self._endpoint(scope, handler, status), methods=[method])

        return [
            *oauth_routes(
                self.oauth,
                authorize_path="/admin/oauth/authorize",
                token_path="/admin/oauth/access_token",
                error_body=_token_error,
                authorize_params=comma_separated_scopes,
                redirect=self._signed_callback,
                token_body=self._token_body,
            ),
            api("/orders.json", "read_orders", self._list_orders),
            api("/orders/{id}.json", "read_orders", self._get_order),
            api("/customers/search.json", "read_customers", self._search_customers),
            api("/customers.json", "write_customers", self._create_customer, "POST", 201),
            api("/products/{id}.json", "read_products", self._get_product),
            api("/locations.json", "read_locations", self._locations),
            api("/inventory_levels/adjust.json", "write_inventory", self._adjust, "POST"),
            api("/webhooks.json", "read_orders", self._create_webhook, "POST", 201),
            api("/webhooks.json", "read_orders", self._list_webhooks),
            api("/webhooks/{id}.json", "read_orders", self._delete_webhook, "DELETE"),
        ]
