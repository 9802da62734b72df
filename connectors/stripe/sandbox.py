"""A local Stripe (test mode): secret-key auth, form-encoded ``/v1`` customers, invoices,
invoice items and webhook endpoints, list paging (``starting_after``/``has_more``), the
Idempotency-Key replay (same key → same answer, ``Idempotent-Replayed: true``; reused for another
request → ``idempotency_error``), Stripe's error shape, per-account 429s with Retry-After and
``Stripe-Signature``-signed events (:mod:`connectors.stripe.sandbox_webhooks`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from connectors.sandbox_kit import (
    AccessToken,
    ApiKeys,
    Clock,
    Delivery,
    FixedWindowLimiter,
    IdempotencyMismatch,
    IdempotencyStore,
    SystemClock,
    Window,
    access_in,
    access_of,
    build_app,
    fingerprint,
    rebase,
)
from connectors.stripe import ORIGINS
from connectors.stripe import connector as production_connector
from connectors.stripe.form import decode
from connectors.stripe.sandbox_store import Account, StripeError
from connectors.stripe.sandbox_webhooks import StripeWebhooks
from marketplace.sdk import Connector

Handler = Callable[[Request, dict[str, Any]], Any]


def _unauthorized(reason: str) -> Response:
    if reason == "missing":
        message = "You did not provide an API key. You need to provide your API key in the " \
                  "Authorization header, using Bearer auth."  # fmt: skip
    elif reason == "revoked":
        message = "This API key has been rolled or revoked. Use the new key from the Dashboard."
    else:
        message = "Invalid API Key provided."
    return JSONResponse(StripeError(401, message).body(), status_code=401)


class StripeSandbox:
    """State and app of one simulated account; serve ``.app`` with SandboxServer."""

    def __init__(self, *, clock: Clock | None = None, per_second: int = 100) -> None:
        self.clock = clock or SystemClock()
        self.account = Account(self.clock)
        self.webhooks = StripeWebhooks(self.account, self.clock)
        self.account.emit = self.webhooks.queue
        self.keys = ApiKeys(clock=self.clock)
        self.secret_key = self.keys.issue("acct_sandbox")
        self.idempotency = IdempotencyStore()
        self.limiter = FixedWindowLimiter([Window("second", per_second, 1)], self.clock)
        self.app = build_app(
            self._routes(),
            oauth=self.keys,
            protect=lambda path: path.startswith("/v1/"),
            unauthorized=_unauthorized,
            limiter=self.limiter,
            rate_key=self._rate_key,
            too_many=self._too_many,
        )

    def connector(self, base_url: str) -> Connector:
        return rebase(production_connector, ORIGINS, base_url)

    def deliver_events(self) -> list[Delivery]:
        return self.webhooks.deliver()

    @staticmethod
    def _rate_key(scope: Scope) -> str | None:
        access = access_in(scope)
        return access.grant.tenant_ids[0] if isinstance(access, AccessToken) else None

    @staticmethod
    def _too_many(decision: Any) -> Response:
        failure = StripeError(
            429,
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
        headers = {"Retry-After": str(decision.retry_after)}
        return JSONResponse(failure.body(), status_code=429, headers=headers)

    # -- endpoints -----------------------------------------------------------------------------
    def _endpoint(self, handler: Handler) -> Callable[[Request], Any]:
        """Form in, JSON out; POSTs go through the Idempotency-Key store (per account)."""

        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            pairs = parse_qsl(raw.decode() if request.method == "POST" else request.url.query)
            account = access_of(request).grant.tenant_ids[0]
            key = request.headers.get("idempotency-key") if request.method == "POST" else None
            request_print = fingerprint(request.method, request.url.path, raw)
            try:
                replayed = self.idempotency.replay(account, key, request_print)
            except IdempotencyMismatch:
                failure = StripeError(
                    400,
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    kind="idempotency_error",
                )
                return JSONResponse(failure.body(), status_code=400)
            if replayed is not None:
                replayed.headers["Idempotent-Replayed"] = "true"
                return replayed
            try:
                answer = JSONResponse(handler(request, decode(pairs)))
            except StripeError as failure:
                answer = JSONResponse(failure.body(), status_code=failure.status)
            if key:
                answer.headers["Idempotency-Key"] = key
            return self.idempotency.remember(account, key, request_print, answer)

        return endpoint

    def _page(self, kind: str, request: Request, form: dict[str, Any], **match: Any) -> Any:
        limit = int(form.get("limit", 10))
        if not 1 <= limit <= 100:
            raise StripeError(400, "Invalid integer: limit must be between 1 and 100.",
                              param="limit")  # fmt: skip
        items = [o for o in self.account.newest_first(kind)
                 if all(v is None or o.get(k) == v for k, v in match.items())]  # fmt: skip
        after = form.get("starting_after")
        if after:
            ids = [o["id"] for o in items]
            if after not in ids:
                self.account.get(kind, after)  # 404 in Stripe's words when it doesn't exist
                items = []
            else:
                items = items[ids.index(after) + 1 :]
        return {"object": "list", "url": request.url.path, "has_more": len(items) > limit,
                "data": items[:limit]}  # fmt: skip

    def _list_customers(self, request: Request, form: dict[str, Any]) -> Any:
        return self._page("customer", request, form, email=form.get("email"))

    def _create_customer(self, _request: Request, form: dict[str, Any]) -> Any:
        return self.account.create_customer(form)

    def _get(self, kind: str) -> Handler:
        return lambda request, _form: self.account.get(kind, request.path_params["id"])

    def _create_invoice(self, _request: Request, form: dict[str, Any]) -> Any:
        return self.account.create_invoice(form)

    def _list_invoices(self, request: Request, form: dict[str, Any]) -> Any:
        match = {"customer": form.get("customer"), "status": form.get("status")}
        return self._page("invoice", request, form, **match)

    def _finalize(self, request: Request, _form: dict[str, Any]) -> Any:
        return self.account.finalize(request.path_params["id"])

    def _add_item(self, _request: Request, form: dict[str, Any]) -> Any:
        return self.account.add_item(form)

    def _create_webhook(self, _request: Request, form: dict[str, Any]) -> Any:
        return self.webhooks.create(form)

    def _delete_webhook(self, request: Request, _form: dict[str, Any]) -> Any:
        return self.webhooks.delete(request.path_params["id"])

    def _routes(self) -> list[Route]:
        def api(path: str, handler: Handler, method: str = "GET") -> Route:
            return Route(f"/v1{path}", self._endpoint(handler), methods=[method])

        return [
            api("/customers", self._list_customers),
            api("/customers", self._create_customer, "POST"),
            api("/customers/{id}", self._get("customer")),
            api("/invoices", self._list_invoices),
            api("/invoices", self._create_invoice, "POST"),
            api("/invoices/{id}", self._get("invoice")),
            api("/invoices/{id}/finalize", self._finalize, "POST"),
            api("/invoiceitems", self._add_item, "POST"),
            api("/webhook_endpoints", self._create_webhook, "POST"),
            api("/webhook_endpoints/{id}", self._delete_webhook, "DELETE"),
        ]
