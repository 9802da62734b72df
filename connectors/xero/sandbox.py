"""A local Xero: Identity (OAuth 2.0 + PKCE), ``/connections``, Accounting API subset, webhooks.

Matches what the connector relies on: ``xero-tenant-id`` on every Accounting call (403 without a
connected one), JSON only when asked (``Accept: application/json``), ``where``/``page`` on lists,
``Idempotency-Key`` replay, per-organisation 60/minute and 5000/day limits answered 429 with
``Retry-After`` and ``X-Rate-Limit-Problem``, and webhooks signed with ``x-xero-signature`` that
only flow once the receiver passes Intent to Receive. The refresh token rotates with Xero's
documented 30-minute grace for re-using the previous one.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import string
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from connectors.sandbox_kit import (
    AccessToken,
    Client,
    Clock,
    Decision,
    Delivery,
    FixedWindowLimiter,
    IdempotencyMismatch,
    IdempotencyStore,
    OAuthServer,
    OAuthSettings,
    Subscription,
    SystemClock,
    WebhookSender,
    Window,
    access_in,
    access_of,
    b64,
    build_app,
    fingerprint,
    hmac_sha256,
    oauth_routes,
    rebase,
)
from connectors.xero import ORIGINS
from connectors.xero import connector as production_connector
from connectors.xero.sandbox_store import XeroNotFound, XeroOrg, XeroValidation, ms_date
from connectors.xero.where import WhereError, compile_where
from marketplace.sdk import Connector

API = "/api.xro/2.0"
PAGE_SIZE = 100
READ, WRITE = "read", "write"


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(type(value).__name__)

    return Response(
        json.dumps(body, default=default),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers=dict(headers or {}),
    )


def problem(
    status: int, title: str, detail: str, headers: Mapping[str, str] | None = None
) -> Response:
    """Xero's problem-details error body (401, 403, 429)."""
    body = {
        "Type": None,
        "Title": title,
        "Status": status,
        "Detail": detail,
        "Instance": str(uuid.uuid4()),
        "Extensions": {},
    }
    return _json(body, status, headers)


def _unauthorized(reason: str) -> Response:
    detail = "TokenExpired: token expired" if reason == "expired" else "AuthenticationUnsuccessful"
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return problem(401, "Unauthorized", detail, headers)


def _sign(secret: str, _url: str, body: bytes) -> dict[str, str]:
    return {"x-xero-signature": b64(hmac_sha256(secret, body))}


class XeroSandbox:
    """State and app of one simulated Xero; serve ``.app`` with ``SandboxServer``."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        minute_limit: int = 60,
        day_limit: int = 5000,
        org_names: tuple[str, ...] = ("Demo Company (Global)",),
    ) -> None:
        self.clock = clock or SystemClock()
        self.orgs: dict[str, XeroOrg] = {}
        self.pending_events: list[dict[str, Any]] = []
        self._sequence = 0
        for name in org_names:
            self.add_org(name)
        self.oauth = OAuthServer(
            OAuthSettings(
                access_ttl=1800,
                code_ttl=300,
                refresh_ttl=60 * 86400,
                rotate_refresh_tokens=True,
                refresh_grace_seconds=1800,
                refresh_scope="offline_access",
                default_tenants=(next(iter(self.orgs)),),
            ),
            clock=self.clock,
        )
        self.limiter = FixedWindowLimiter(
            [Window("minute", minute_limit, 60), Window("day", day_limit, 86400)], self.clock
        )
        self.idempotency = IdempotencyStore()
        self.webhook_key = base64.b64encode(secrets.token_bytes(64)).decode()
        self.sender = WebhookSender(_sign, user_agent="Xero-Webhooks")
        self.webhook_status = "NOT_CONFIGURED"
        self._subscription: Subscription | None = None
        self.app = build_app(
            self._routes(),
            oauth=self.oauth,
            protect=lambda path: path.startswith(("/connections", API)),
            unauthorized=_unauthorized,
            limiter=self.limiter,
            rate_key=self._rate_key,
            too_many=self._too_many,
            rate_headers=self._rate_headers,
        )

    # -- setup helpers for tests and the demo --------------------------------------------------
    def add_org(self, name: str) -> XeroOrg:
        org = XeroOrg(str(uuid.uuid4()), name, self.clock, emit=self._queue_event)
        self.orgs[org.tenant_id] = org
        return org

    @property
    def default_org(self) -> XeroOrg:
        return next(iter(self.orgs.values()))

    def register_client(self, redirect_uris: tuple[str, ...] | list[str]) -> Client:
        return self.oauth.register_client(redirect_uris)

    def connector(self, base_url: str) -> Connector:
        """The production declaration with every Xero host pointed at this sandbox."""
        return rebase(production_connector, ORIGINS, base_url)

    # -- rate limiting -------------------------------------------------------------------------
    def _rate_key(self, scope: Scope) -> str | None:
        if not scope["path"].startswith(API):
            return None
        access = access_in(scope)
        tenant = dict(scope["headers"]).get(b"xero-tenant-id", b"").decode() or "no-tenant"
        client = access.grant.client_id if isinstance(access, AccessToken) else "anonymous"
        return f"{client}:{tenant.lower()}"

    @staticmethod
    def _rate_headers(decision: Decision) -> dict[str, str]:
        return {
            "X-MinLimit-Remaining": str(decision.remaining.get("minute", 0)),
            "X-DayLimit-Remaining": str(decision.remaining.get("day", 0)),
        }

    def _too_many(self, decision: Decision) -> Response:
        name = decision.exceeded.name if decision.exceeded else "minute"
        headers = {
            "Retry-After": str(decision.retry_after),
            "X-Rate-Limit-Problem": name,
            **self._rate_headers(decision),
        }
        return problem(429, "Too Many Requests", f"Rate limit exceeded ({name}).", headers)

    # -- request plumbing ----------------------------------------------------------------------
    def _org_for(self, request: Request, scopes: tuple[str, ...]) -> XeroOrg | Response:
        access = access_of(request)
        if not set(scopes) & set(access.grant.scopes):
            return problem(401, "Unauthorized", "AuthorizationUnsuccessful")
        tenant = request.headers.get("xero-tenant-id", "").strip().lower()
        org = self.orgs.get(tenant)
        if org is None or tenant not in access.grant.tenant_ids:
            return problem(403, "Forbidden", "AuthenticationUnsuccessful")
        return org

    def _endpoint(
        self, area: str, mode: str, handler: Callable[[Request, XeroOrg, Any], Response]
    ) -> Callable[[Request], Any]:
        scopes = (
            (f"accounting.{area}",)
            if mode == WRITE
            else (
                f"accounting.{area}",
                f"accounting.{area}.read",
            )
        )

        async def endpoint(request: Request) -> Response:
            if "json" not in request.headers.get("accept", ""):
                return PlainTextResponse(
                    "This sandbox only answers JSON; send Accept: application/json (Xero would "
                    "answer XML).",
                    status_code=406,
                )
            org = self._org_for(request, scopes)
            if isinstance(org, Response):
                return org
            body: Any = None
            raw = await request.body()
            if mode == WRITE:
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    return _json(
                        {
                            "ErrorNumber": 14,
                            "Type": "PostDataInvalidException",
                            "Message": "JSON for post data was invalid.",
                        },
                        400,
                    )
            key = request.headers.get("idempotency-key") if mode == WRITE else None
            bucket = f"{access_of(request).grant.client_id}:{org.tenant_id}"
            request_print = fingerprint(request.method, request.url.path, raw)
            try:
                replay = self.idempotency.replay(bucket, key, request_print)
            except IdempotencyMismatch:
                return problem(409, "Conflict", "Idempotency-Key was used for another request.")
            if replay is not None:
                return replay
            try:
                response = handler(request, org, body)
            except XeroValidation as error:
                element = {
                    **error.element,
                    "ValidationErrors": [{"Message": m} for m in error.messages],
                }
                response = _json(
                    {
                        "ErrorNumber": 10,
                        "Type": "ValidationException",
                        "Message": "A validation exception occurred",
                        "Elements": [element],
                    },
                    400,
                )
            except XeroNotFound:
                response = PlainTextResponse(
                    "The resource you're looking for cannot be found", status_code=404
                )
            except WhereError as error:
                response = _json(
                    {"ErrorNumber": 16, "Type": "QueryParseException", "Message": str(error)}, 400
                )
            return self.idempotency.remember(bucket, key, request_print, response)

        return endpoint

    def _envelope(self, name: str, items: list[dict[str, Any]], request: Request) -> Response:
        body: dict[str, Any] = {
            "Id": str(uuid.uuid4()),
            "Status": "OK",
            "ProviderName": "Flowyard Xero sandbox",
            "DateTimeUTC": ms_date(dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC)),
        }
        page = request.query_params.get("page")
        if page is not None and request.method == "GET":
            number = max(1, int(page)) if page.isdigit() else 1
            size = min(1000, int(request.query_params.get("pageSize", PAGE_SIZE) or PAGE_SIZE))
            body["pagination"] = {
                "page": number,
                "pageSize": size,
                "pageCount": max(1, -(-len(items) // size)),
                "itemCount": len(items),
            }
            items = items[(number - 1) * size : number * size]
        body[name] = items
        return _json(body)

    @staticmethod
    def _elements(body: Any, name: str) -> list[dict[str, Any]]:
        """Xero accepts ``{"Contacts": [...]}`` or a single bare object."""
        if isinstance(body, dict) and isinstance(body.get(name), list):
            return body[name]
        return [body] if isinstance(body, dict) else []

    # -- API handlers --------------------------------------------------------------------------
    def _list_contacts(self, request: Request, org: XeroOrg, _body: Any) -> Response:
        match = compile_where(request.query_params.get("where"))
        term = request.query_params.get("searchTerm", "").lower()
        found = [
            c
            for c in org.contacts.values()
            if match(c)
            and (
                not term
                or any(
                    term in str(c.get(f, "")).lower()
                    for f in ("Name", "EmailAddress", "FirstName", "LastName")
                )
            )
        ]
        return self._envelope("Contacts", found, request)

    def _get_contact(self, request: Request, org: XeroOrg, _body: Any) -> Response:
        contact = org.contacts.get(request.path_params["contact_id"])
        if contact is None:
            raise XeroNotFound(request.path_params["contact_id"])
        return self._envelope("Contacts", [contact], request)

    def _save_contacts(self, request: Request, org: XeroOrg, body: Any) -> Response:
        contact_id = request.path_params.get("contact_id")
        saved = [org.save_contact(c, contact_id) for c in self._elements(body, "Contacts")]
        return self._envelope("Contacts", saved, request)

    def _list_invoices(self, request: Request, org: XeroOrg, _body: Any) -> Response:
        match = compile_where(request.query_params.get("where"))
        statuses = {s for s in request.query_params.get("Statuses", "").split(",") if s}
        contacts = {c.lower() for c in request.query_params.get("ContactIDs", "").split(",") if c}
        found = [
            i
            for i in org.invoices.values()
            if match(i)
            and (not statuses or i["Status"] in statuses)
            and (not contacts or i["Contact"]["ContactID"] in contacts)
        ]
        return self._envelope("Invoices", found, request)

    def _get_invoice(self, request: Request, org: XeroOrg, _body: Any) -> Response:
        return self._envelope("Invoices", [org.invoice(request.path_params["invoice_id"])], request)

    def _create_invoices(self, request: Request, org: XeroOrg, body: Any) -> Response:
        created = [org.create_invoice(i) for i in self._elements(body, "Invoices")]
        return self._envelope("Invoices", created, request)

    def _list_payments(self, request: Request, org: XeroOrg, _body: Any) -> Response:
        match = compile_where(request.query_params.get("where"))
        return self._envelope("Payments", [p for p in org.payments.values() if match(p)], request)

    def _create_payments(self, request: Request, org: XeroOrg, body: Any) -> Response:
        created = [org.create_payment(p) for p in self._elements(body, "Payments")]
        return self._envelope("Payments", created, request)

    async def _connections(self, request: Request) -> Response:
        grant = access_of(request).grant
        created = dt.datetime.fromtimestamp(grant.created_at, tz=dt.UTC).isoformat()
        return _json(
            [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, grant.grant_id + tenant)),
                    "authEventId": grant.grant_id,
                    "tenantId": tenant,
                    "tenantType": "ORGANISATION",
                    "tenantName": self.orgs[tenant].name,
                    "createdDateUtc": created,
                    "updatedDateUtc": created,
                }
                for tenant in grant.tenant_ids
                if tenant in self.orgs
            ]
        )

    def _routes(self) -> list[Route]:
        e = self._endpoint
        contacts, invoices, payments = f"{API}/Contacts", f"{API}/Invoices", f"{API}/Payments"
        get, writes = ["GET"], ["PUT", "POST"]
        return [
            *oauth_routes(
                self.oauth,
                authorize_path="/identity/connect/authorize",
                token_path="/connect/token",
                revoke_path="/connect/revocation",
            ),
            Route("/connections", self._connections, methods=get),
            Route(contacts, e("contacts", READ, self._list_contacts), methods=get),
            Route(contacts, e("contacts", WRITE, self._save_contacts), methods=writes),
            Route(contacts + "/{contact_id}", e("contacts", READ, self._get_contact), methods=get),
            Route(
                contacts + "/{contact_id}",
                e("contacts", WRITE, self._save_contacts),
                methods=["POST"],
            ),
            Route(invoices, e("transactions", READ, self._list_invoices), methods=get),
            Route(invoices, e("transactions", WRITE, self._create_invoices), methods=writes),
            Route(
                invoices + "/{invoice_id}", e("transactions", READ, self._get_invoice), methods=get
            ),
            Route(payments, e("transactions", READ, self._list_payments), methods=get),
            Route(payments, e("transactions", WRITE, self._create_payments), methods=writes),
        ]

    # -- webhooks ------------------------------------------------------------------------------
    def _queue_event(self, tenant_id: str, category: str, kind: str, resource_id: str) -> None:
        now = dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC)
        collection = {"CONTACT": "Contacts", "INVOICE": "Invoices"}[category]
        self.pending_events.append(
            {
                "resourceUrl": f"https://api.xero.com/api.xro/2.0/{collection}/{resource_id}",
                "resourceId": resource_id,
                "eventDateUtc": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                "eventType": kind,
                "eventCategory": category,
                "tenantId": tenant_id,
                "tenantType": "ORGANISATION",
            }
        )

    @staticmethod
    def _entropy() -> str:
        return "".join(secrets.choice(string.ascii_uppercase) for _ in range(20))

    def set_delivery_url(self, url: str) -> None:
        """Like saving the Delivery URL in Xero's developer portal: status waits for ITR."""
        if self._subscription is not None:
            self.sender.unregister(self._subscription.subscription_id)
        self._subscription = self.sender.register(url, self.webhook_key)
        self.webhook_status = "PENDING"

    def intent_to_receive(self) -> bool:
        """Xero's check: a correctly signed empty batch must get 200, a mis-signed one 401."""
        if self._subscription is None:
            raise RuntimeError("Set a delivery URL first.")
        payload = {
            "events": [],
            "firstEventSequence": 0,
            "lastEventSequence": 0,
            "entropy": self._entropy(),
        }
        (good,) = self.sender.send(payload, to=self._subscription)
        body = json.dumps({**payload, "entropy": self._entropy()}, separators=(",", ":")).encode()
        wrong = _sign(base64.b64encode(secrets.token_bytes(64)).decode(), "", body)
        bad = self.sender.post(self._subscription.url, body, wrong)
        passed = good.status == 200 and bad.status == 401
        self.webhook_status = "OK" if passed else "FAILED"
        return passed

    def deliver_events(self) -> list[Delivery]:
        """Send queued events as one signed batch (only once Intent to Receive has passed)."""
        if self._subscription is None or self.webhook_status != "OK" or not self.pending_events:
            return []
        events, self.pending_events = self.pending_events, []
        first = self._sequence + 1
        self._sequence += len(events)
        payload = {
            "events": events,
            "firstEventSequence": first,
            "lastEventSequence": self._sequence,
            "entropy": self._entropy(),
        }
        return self.sender.send(payload, to=self._subscription)
