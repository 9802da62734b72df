"""A local HubSpot: OAuth (its own token error format), CRM v3 contacts/deals, search with
cursor paging, per-account 10-second and daily limits (429 with HubSpot's body and Retry-After),
and app webhooks signed with X-HubSpot-Signature-v3 (method + uri + body + timestamp).

HubSpot refresh tokens do not rotate (the same one keeps working); pass
``rotate_refresh_tokens=True`` to exercise a client's rotation handling anyway.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from connectors.hubspot import ORIGINS
from connectors.hubspot import connector as production_connector
from connectors.hubspot.sandbox_store import CONTACT_DEFAULTS, DEAL_DEFAULTS, HubSpotError, Portal
from connectors.sandbox_kit import (
    AccessToken,
    Client,
    Clock,
    Decision,
    Delivery,
    FixedWindowLimiter,
    OAuthError,
    OAuthServer,
    OAuthSettings,
    SystemClock,
    WebhookSender,
    Window,
    access_in,
    access_of,
    b64,
    build_app,
    hmac_sha256,
    oauth_routes,
    rebase,
)
from marketplace.sdk import Connector

CRM = "/crm/v3/objects"
SCOPES = {
    ("contacts", "read"): {"crm.objects.contacts.read", "crm.objects.contacts.write"},
    ("contacts", "write"): {"crm.objects.contacts.write"},
    ("deals", "read"): {"crm.objects.deals.read", "crm.objects.deals.write"},
    ("deals", "write"): {"crm.objects.deals.write"},
}
_TOKEN_ERRORS = {
    "client": ("BAD_CLIENT_ID", "missing or unknown client id"),
    "code_unknown": ("BAD_AUTH_CODE", "missing or unknown auth code"),
    "code_used": ("BAD_AUTH_CODE", "missing or unknown auth code"),
    "verifier": ("BAD_AUTH_CODE", "missing or unknown auth code"),
    "code_expired": ("EXPIRED_AUTH_CODE", "auth code is expired"),
    "redirect_uri": ("BAD_REDIRECT_URI", "redirect_uri does not match"),
    "grant_type": ("BAD_GRANT_TYPE", "unsupported grant_type"),
}


def error(status: int, category: str, message: str, **extra: Any) -> JSONResponse:
    body = {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        **extra,
        "category": category,
    }
    return JSONResponse(body, status_code=status)


def _token_error(failure: OAuthError, _form: Mapping[str, str]) -> dict[str, str]:
    status, message = _TOKEN_ERRORS.get(
        failure.reason, ("BAD_REFRESH_TOKEN", "missing or invalid refresh token")
    )
    return {"status": status, "message": message, "correlationId": str(uuid.uuid4())}


def _unauthorized(reason: str) -> Response:
    if reason == "expired":
        return error(
            401,
            "EXPIRED_AUTHENTICATION",
            "The OAuth token used to make this call expired 0 second(s) ago.",
        )
    return error(
        401,
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    )


def _shape(record: dict[str, Any], wanted: tuple[str, ...] | None) -> dict[str, Any]:
    props = record["properties"]
    if wanted is not None:
        props = {k: props.get(k) for k in (*wanted, "hs_object_id")}
    return {**record, "properties": dict(props)}


class HubSpotSandbox:
    """State and app of one simulated HubSpot app + account; serve ``.app`` with SandboxServer."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ten_second_limit: int = 110,
        daily_limit: int = 250_000,
        rotate_refresh_tokens: bool = False,
        portal_id: int = 62515,
        app_id: int = 1_160_452,
    ) -> None:
        self.clock = clock or SystemClock()
        self.app_id = app_id
        self.portal = Portal(portal_id, self.clock, emit=self._queue_event)
        self.pending_events: list[dict[str, Any]] = []
        self._event_ids = itertools.count(100)
        self.oauth = OAuthServer(
            OAuthSettings(
                access_ttl=1800,
                code_ttl=300,
                rotate_refresh_tokens=rotate_refresh_tokens,
                require_pkce=False,
                default_tenants=(str(portal_id),),
            ),
            clock=self.clock,
        )
        self.limiter = FixedWindowLimiter(
            [
                Window("TEN_SECONDLY_ROLLING", ten_second_limit, 10),
                Window("DAILY", daily_limit, 86400),
            ],
            self.clock,
        )
        self.sender = WebhookSender(self._sign, user_agent="HubSpot Connect 2.0")
        self.subscribed = {
            "contact.creation",
            "contact.propertyChange",
            "deal.creation",
            "deal.propertyChange",
        }
        self.app = build_app(
            self._routes(),
            oauth=self.oauth,
            protect=lambda path: path.startswith("/crm/"),
            unauthorized=_unauthorized,
            limiter=self.limiter,
            rate_key=self._rate_key,
            too_many=self._too_many,
            rate_headers=self._rate_headers,
        )

    def register_client(self, redirect_uris: tuple[str, ...] | list[str]) -> Client:
        return self.oauth.register_client(redirect_uris)

    def connector(self, base_url: str) -> Connector:
        return rebase(production_connector, ORIGINS, base_url)

    # -- rate limiting -------------------------------------------------------------------------
    def _rate_key(self, scope: Scope) -> str | None:
        access = access_in(scope)
        if not isinstance(access, AccessToken):
            return None
        return f"{access.grant.client_id}:{','.join(access.grant.tenant_ids)}"

    def _rate_headers(self, decision: Decision) -> dict[str, str]:
        ten, day = self.limiter.windows
        return {
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(ten.limit),
            "X-HubSpot-RateLimit-Remaining": str(decision.remaining.get(ten.name, 0)),
            "X-HubSpot-RateLimit-Daily": str(day.limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(decision.remaining.get(day.name, 0)),
        }

    def _too_many(self, decision: Decision) -> Response:
        policy = decision.exceeded.name if decision.exceeded else "TEN_SECONDLY_ROLLING"
        response = JSONResponse(
            {
                "status": "error",
                "message": f"You have reached your {policy.lower()} limit.",
                "errorType": "RATE_LIMIT",
                "correlationId": str(uuid.uuid4()),
                "policyName": policy,
                "groupName": f"publicapi:oauth:{self.app_id}:{self.portal.portal_id}",
            },
            status_code=429,
            headers={"Retry-After": str(decision.retry_after), **self._rate_headers(decision)},
        )
        return response

    # -- CRM endpoints -------------------------------------------------------------------------
    def _endpoint(
        self, area: str, mode: str, handler: Callable[[Request, Any], Response]
    ) -> Callable[[Request], Any]:
        needed = SCOPES[(area, mode)]

        async def endpoint(request: Request) -> Response:
            if not needed & set(access_of(request).grant.scopes):
                return error(
                    403,
                    "MISSING_SCOPES",
                    "This app hasn't been granted all required scopes to make this call.",
                    errors=[
                        {
                            "message": "One or more of the following scopes are required.",
                            "context": {"requiredGranularScopes": sorted(needed)},
                        }
                    ],
                )
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                return error(400, "VALIDATION_ERROR", "Invalid input JSON on line 1")
            try:
                return handler(request, body)
            except HubSpotError as failure:
                return error(failure.status, failure.category, failure.message, **failure.extra)

        return endpoint

    @staticmethod
    def _wanted(request: Request, defaults: tuple[str, ...]) -> tuple[str, ...]:
        asked = tuple(p for p in request.query_params.get("properties", "").split(",") if p)
        return tuple(dict.fromkeys((*defaults, *asked)))

    def _page(
        self,
        request: Request,
        items: list[dict[str, Any]],
        limit: int,
        after: str | None,
        wanted: tuple[str, ...],
        *,
        link: bool,
    ) -> dict[str, Any]:
        start = int(after) if after and after.isdigit() else 0
        page = items[start : start + limit]
        body: dict[str, Any] = {"results": [_shape(r, wanted) for r in page]}
        if start + limit < len(items):
            nxt: dict[str, Any] = {"after": str(start + limit)}
            if link:
                nxt["link"] = f"{request.url.replace(query='')}?after={start + limit}"
            body["paging"] = {"next": nxt}
        return body

    def _list(self, kind: str) -> Callable[[Request, Any], Response]:
        def handler(request: Request, _body: Any) -> Response:
            store = self.portal.contacts if kind == "contact" else self.portal.deals
            defaults = CONTACT_DEFAULTS if kind == "contact" else DEAL_DEFAULTS
            limit = min(100, max(1, int(request.query_params.get("limit", 10))))
            items = sorted(store.values(), key=lambda r: int(r["id"]))
            page = self._page(
                request,
                items,
                limit,
                request.query_params.get("after"),
                self._wanted(request, defaults),
                link=True,
            )
            return JSONResponse(page)

        return handler

    def _get(self, kind: str) -> Callable[[Request, Any], Response]:
        def handler(request: Request, _body: Any) -> Response:
            record = self.portal.get(kind, request.path_params["object_id"])
            defaults = CONTACT_DEFAULTS if kind == "contact" else DEAL_DEFAULTS
            return JSONResponse(_shape(record, self._wanted(request, defaults)))

        return handler

    def _search(self, request: Request, body: Any) -> Response:
        groups = body.get("filterGroups") or [{"filters": []}]

        def matches(record: dict[str, Any], flt: Mapping[str, Any]) -> bool:
            value = record["properties"].get(flt.get("propertyName", ""))
            wanted = str(flt.get("value", "")).lower()
            op = flt.get("operator", "EQ")
            if op == "EQ":
                return value is not None and value.lower() == wanted
            if op == "NEQ":
                return value is None or value.lower() != wanted
            if op == "CONTAINS_TOKEN":
                return value is not None and wanted.strip("*") in value.lower()
            if op == "HAS_PROPERTY":
                return bool(value)
            if op == "NOT_HAS_PROPERTY":
                return not value
            raise HubSpotError(400, "VALIDATION_ERROR", f"Unsupported operator {op}.")

        found = [
            r
            for r in sorted(self.portal.contacts.values(), key=lambda r: int(r["id"]))
            if any(all(matches(r, f) for f in g.get("filters", [])) for g in groups)
        ]
        wanted = tuple(dict.fromkeys((*CONTACT_DEFAULTS, *(body.get("properties") or []))))
        limit = min(200, max(1, int(body.get("limit", 10))))
        page = self._page(request, found, limit, body.get("after"), wanted, link=False)
        return JSONResponse({"total": len(found), **page})

    def _create_contact(self, _request: Request, body: Any) -> Response:
        record = self.portal.create_contact(body.get("properties") or {})
        return JSONResponse(record, status_code=201)

    def _update_contact(self, request: Request, body: Any) -> Response:
        object_id = request.path_params["object_id"]
        return JSONResponse(self.portal.update_contact(object_id, body.get("properties") or {}))

    def _create_deal(self, _request: Request, body: Any) -> Response:
        record = self.portal.create_deal(
            body.get("properties") or {}, body.get("associations") or []
        )
        return JSONResponse(record, status_code=201)

    def _update_deal(self, request: Request, body: Any) -> Response:
        object_id = request.path_params["object_id"]
        return JSONResponse(self.portal.update_deal(object_id, body.get("properties") or {}))

    # -- OAuth extras (HubSpot-specific) -------------------------------------------------------
    async def _delete_refresh(self, request: Request) -> Response:
        self.oauth.revoke(request.path_params["token"])
        return Response(status_code=204)

    async def _access_info(self, request: Request) -> Response:
        access, _reason = self.oauth.check_access(request.path_params["token"])
        if access is None:
            return error(404, "OBJECT_NOT_FOUND", "Token not found or expired.")
        return JSONResponse(
            {
                "token": access.token,
                "user": f"{access.grant.subject}@example.test",
                "hub_domain": "sandbox.example.test",
                "scopes": list(access.grant.scopes),
                "hub_id": int(access.grant.tenant_ids[0]),
                "app_id": self.app_id,
                "expires_in": max(0, int(access.expires_at - self.clock.now())),
                "user_id": 1,
                "token_type": "access",
            }
        )

    def _routes(self) -> list[Route]:
        e = self._endpoint
        contacts, deals = f"{CRM}/contacts", f"{CRM}/deals"
        return [
            *oauth_routes(
                self.oauth,
                authorize_path="/oauth/authorize",
                token_path="/oauth/v1/token",
                error_body=_token_error,
            ),
            Route("/oauth/v1/refresh-tokens/{token}", self._delete_refresh, methods=["DELETE"]),
            Route("/oauth/v1/access-tokens/{token}", self._access_info, methods=["GET"]),
            Route(contacts, e("contacts", "read", self._list("contact")), methods=["GET"]),
            Route(contacts, e("contacts", "write", self._create_contact), methods=["POST"]),
            Route(f"{contacts}/search", e("contacts", "read", self._search), methods=["POST"]),
            Route(
                f"{contacts}/{{object_id}}",
                e("contacts", "read", self._get("contact")),
                methods=["GET"],
            ),
            Route(
                f"{contacts}/{{object_id}}",
                e("contacts", "write", self._update_contact),
                methods=["PATCH"],
            ),
            Route(deals, e("deals", "read", self._list("deal")), methods=["GET"]),
            Route(deals, e("deals", "write", self._create_deal), methods=["POST"]),
            Route(f"{deals}/{{object_id}}", e("deals", "read", self._get("deal")), methods=["GET"]),
            Route(
                f"{deals}/{{object_id}}", e("deals", "write", self._update_deal), methods=["PATCH"]
            ),
        ]

    # -- webhooks ------------------------------------------------------------------------------
    def _sign(self, secret: str, url: str, body: bytes) -> dict[str, str]:
        millis = str(int(self.clock.now() * 1000))
        v3 = hmac_sha256(secret, b"POST" + url.encode() + body + millis.encode())
        return {
            "X-HubSpot-Signature-v3": b64(v3),
            "X-HubSpot-Request-Timestamp": millis,
            "X-HubSpot-Signature": hashlib.sha256(secret.encode() + body).hexdigest(),
            "X-HubSpot-Signature-Version": "v1",
        }

    def set_target_url(self, url: str, client: Client) -> None:
        """Like the app's Webhooks settings: one target URL, signed with the app's secret."""
        for sub in self.sender.subscriptions():
            self.sender.unregister(sub.subscription_id)
        self.sender.register(url, client.client_secret)

    def _queue_event(self, kind: str, object_id: int, name: str | None, value: str | None) -> None:
        if kind not in self.subscribed:
            return
        event: dict[str, Any] = {
            "eventId": next(self._event_ids),
            "subscriptionId": sorted(self.subscribed).index(kind) + 1,
            "portalId": self.portal.portal_id,
            "appId": self.app_id,
            "occurredAt": int(self.clock.now() * 1000),
            "subscriptionType": kind,
            "attemptNumber": 0,
            "objectId": object_id,
            "changeSource": "INTEGRATION",
        }
        if name is None:
            event["changeFlag"] = "NEW"
        else:
            event.update(propertyName=name, propertyValue=value)
        self.pending_events.append(event)

    def deliver_events(self, batch_size: int = 100) -> list[Delivery]:
        """POST queued events as JSON arrays of up to ``batch_size`` (HubSpot sends ≤100)."""
        deliveries: list[Delivery] = []
        while self.pending_events:
            batch, self.pending_events = (
                self.pending_events[:batch_size],
                self.pending_events[batch_size:],
            )
            deliveries.extend(self.sender.send(batch))
        return deliveries
