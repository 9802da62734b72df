"""A local Asana: OAuth (PKCE; refresh answers carry no new refresh token, as Asana's don't),
the ``/api/1.0`` subset the connector uses (templates → jobs, tasks, ``external:`` lookups),
per-token minute limits (429 + Retry-After) and webhooks with the ``X-Hook-Secret`` handshake
performed against the target *while* ``POST /webhooks`` is in flight, then ``X-Hook-Signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from connectors.asana import ORIGINS
from connectors.asana import connector as production_connector
from connectors.asana.sandbox_store import AsanaError, Workspace
from connectors.sandbox_kit import (
    AccessToken,
    Client,
    Clock,
    Delivery,
    FixedWindowLimiter,
    OAuthServer,
    OAuthSettings,
    Subscription,
    SystemClock,
    WebhookSender,
    Window,
    access_in,
    access_of,
    build_app,
    oauth_routes,
    rebase,
)
from marketplace.sdk import Connector

API = "/api/1.0"
HELP = (
    "For more information on API status codes and how to handle them, read the docs on errors: "
    "https://developers.asana.com/docs/errors"
)


def errors(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "help": HELP}]}, status, headers)


def _unauthorized(_reason: str) -> Response:
    return errors(401, "Not Authorized")


def _sign(secret: str, _url: str, body: bytes) -> dict[str, str]:
    return {"X-Hook-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


class AsanaSandbox:
    """State and app of one simulated Asana workspace; serve ``.app`` with SandboxServer."""

    def __init__(self, *, clock: Clock | None = None, minute_limit: int = 150) -> None:
        self.clock = clock or SystemClock()
        self.workspace = Workspace(self.clock, emit=self._queue_event)
        self.template = self.workspace.add_template(
            "Client onboarding", ["Kick-off call", "Collect assets", "Launch"], ["Start Date"]
        )
        self.oauth = OAuthServer(
            OAuthSettings(
                access_ttl=3600,
                code_ttl=600,
                rotate_refresh_tokens=False,
                echo_refresh_token=False,
                default_tenants=(self.workspace.workspace["gid"],),
                token_extras=self._token_extras,
            ),
            clock=self.clock,
        )
        self.limiter = FixedWindowLimiter([Window("minute", minute_limit, 60)], self.clock)
        self.sender = WebhookSender(_sign, user_agent="Asana")
        self.pending: dict[str, list[dict[str, Any]]] = {}
        self.app = build_app(
            self._routes(),
            oauth=self.oauth,
            protect=lambda path: path.startswith(API),
            unauthorized=_unauthorized,
            limiter=self.limiter,
            rate_key=self._rate_key,
            too_many=lambda d: errors(
                429,
                "You have made too many requests recently. Please, be chill.",
                {"Retry-After": str(d.retry_after)},
            ),
        )

    def _token_extras(self, _grant: Any) -> dict[str, Any]:
        user = self.workspace.user
        return {
            "data": {
                "id": int(user["gid"]),
                "gid": user["gid"],
                "name": user["name"],
                "email": user["email"],
            }
        }

    def register_client(self, redirect_uris: tuple[str, ...] | list[str]) -> Client:
        return self.oauth.register_client(redirect_uris)

    def connector(self, base_url: str) -> Connector:
        return rebase(production_connector, ORIGINS, base_url)

    @staticmethod
    def _rate_key(scope: Scope) -> str | None:
        access = access_in(scope)
        if not isinstance(access, AccessToken):
            return None
        return f"{access.grant.client_id}:{access.grant.subject}"

    # -- endpoints -----------------------------------------------------------------------------
    def _endpoint(
        self, scope: str, handler: Callable[[Request, Any], Any], status: int = 200
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            granted = set(access_of(request).grant.scopes)
            if "default" not in granted and scope not in granted:
                return errors(403, f"Your token is missing the {scope} scope for this request.")
            raw = await request.body()
            try:
                body = (json.loads(raw) or {}).get("data") or {} if raw else {}
            except ValueError:
                return errors(400, "Could not parse request data, invalid JSON")
            try:
                result = handler(request, body)
                if hasattr(result, "__await__"):
                    result = await result
            except AsanaError as failure:
                return errors(failure.status, failure.message)
            if isinstance(result, Response):
                return result
            return JSONResponse({"data": result}, status_code=status)

        return endpoint

    def _instantiate(self, request: Request, body: Any) -> dict[str, Any]:
        return self.workspace.instantiate(request.path_params["gid"], body)

    def _job(self, request: Request, _body: Any) -> dict[str, Any]:
        return self.workspace.poll_job(request.path_params["gid"])

    def _template(self, request: Request, _body: Any) -> dict[str, Any]:
        template = self.workspace.get("project_template", request.path_params["gid"])
        return {k: v for k, v in template.items() if k != "task_names"}

    def _task(self, request: Request, _body: Any) -> dict[str, Any]:
        gid = request.path_params["gid"]
        if gid.startswith("external:"):
            return self.workspace.by_external(gid.removeprefix("external:"))
        return self.workspace.get("task", gid)

    def _create_task(self, _request: Request, body: Any) -> dict[str, Any]:
        return self.workspace.create_task(body)

    def _update_task(self, request: Request, body: Any) -> dict[str, Any]:
        return self.workspace.update_task(request.path_params["gid"], body)

    async def _create_webhook(self, _request: Request, body: Any) -> Response:
        resource = self.workspace.objects.get(str(body.get("resource", "")))
        if resource is None:
            raise AsanaError(404, f"resource: Unknown object: {body.get('resource')}")
        target = str(body.get("target", ""))
        if not target.startswith(("http://", "https://")):
            raise AsanaError(400, "target: Invalid URL")
        hook_secret = secrets.token_hex(32)
        answer: Delivery = await anyio.to_thread.run_sync(
            self.sender.post, target, b"", {"X-Hook-Secret": hook_secret}
        )
        echoed = {k.lower(): v for k, v in answer.response_headers.items()}.get("x-hook-secret")
        if answer.status not in (200, 204) or echoed != hook_secret:
            raise AsanaError(400, "The remote server did not respond with the handshake secret.")
        sub = self.sender.register(
            target, hook_secret, resource=resource["gid"], filters=body.get("filters") or []
        )
        data = {
            "gid": sub.subscription_id,
            "resource_type": "webhook",
            "active": True,
            "resource": {
                "gid": resource["gid"],
                "resource_type": resource["resource_type"],
                "name": resource.get("name", ""),
            },
            "target": target,
            "filters": body.get("filters") or [],
            "last_success_at": None,
            "last_failure_at": None,
            "last_failure_content": "",
        }
        return JSONResponse({"data": data}, status_code=201)

    def _delete_webhook(self, request: Request, _body: Any) -> dict[str, Any]:
        if not self.sender.unregister(request.path_params["gid"]):
            raise AsanaError(404, f"webhook: Unknown object: {request.path_params['gid']}")
        self.pending.pop(request.path_params["gid"], None)
        return {}

    def _routes(self) -> list[Route]:
        e = self._endpoint
        return [
            *oauth_routes(
                self.oauth,
                authorize_path="/-/oauth_authorize",
                token_path="/-/oauth_token",
                revoke_path="/-/oauth_revoke",
            ),
            Route(
                f"{API}/project_templates/{{gid}}",
                e("project_templates:read", self._template),
                methods=["GET"],
            ),
            Route(
                f"{API}/project_templates/{{gid}}/instantiateProject",
                e("projects:write", self._instantiate, 201),
                methods=["POST"],
            ),
            Route(f"{API}/jobs/{{gid}}", e("projects:read", self._job), methods=["GET"]),
            Route(f"{API}/tasks", e("tasks:write", self._create_task, 201), methods=["POST"]),
            Route(f"{API}/tasks/{{gid}}", e("tasks:read", self._task), methods=["GET"]),
            Route(f"{API}/tasks/{{gid}}", e("tasks:write", self._update_task), methods=["PUT"]),
            Route(f"{API}/webhooks", e("webhooks:write", self._create_webhook), methods=["POST"]),
            Route(
                f"{API}/webhooks/{{gid}}",
                e("webhooks:delete", self._delete_webhook),
                methods=["DELETE"],
            ),
        ]

    # -- webhook events ------------------------------------------------------------------------
    @staticmethod
    def _wants(sub: Subscription, event: dict[str, Any], watched: set[str]) -> bool:
        if sub.info.get("resource") not in watched:
            return False
        filters = sub.info.get("filters") or []
        kind, action = event["resource"]["resource_type"], event["action"]
        field = (event.get("change") or {}).get("field")
        return not filters or any(
            f.get("resource_type") == kind
            and f.get("action", action) == action
            and (not f.get("fields") or field in f["fields"])
            for f in filters
        )

    def _queue_event(
        self, action: str, resource: dict, parent: dict | None, change: dict | None
    ) -> None:
        event = {
            "user": {"gid": self.workspace.user["gid"], "resource_type": "user"},
            "created_at": self.workspace._now(),
            "action": action,
            "resource": {
                "gid": resource["gid"],
                "resource_type": resource["resource_type"],
                "resource_subtype": resource.get("resource_subtype"),
            },
            "parent": {"gid": parent["gid"], "resource_type": parent["resource_type"]}
            if parent
            else None,
        }
        if change is not None:
            event["change"] = change
        watched = {resource["gid"], self.workspace.workspace["gid"]}
        watched |= {p["gid"] for p in resource.get("projects") or []}
        for sub in self.sender.subscriptions():
            if self._wants(sub, event, watched):
                self.pending.setdefault(sub.subscription_id, []).append(event)

    def deliver_events(self) -> list[Delivery]:
        """Send each webhook its queued events as one signed ``{"events": [...]}`` POST."""
        deliveries: list[Delivery] = []
        for sub in self.sender.subscriptions():
            events = self.pending.pop(sub.subscription_id, [])
            if events:
                deliveries.extend(self.sender.send({"events": events}, to=sub))
        return deliveries
