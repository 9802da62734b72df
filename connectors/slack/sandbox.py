"""A local Slack: OAuth v2 (comma scopes, ``oauth.v2.access`` answering a ``xoxb-`` bot token, or
``{"ok": false, "error"}`` with HTTP 200), the Web API methods the connector uses
(``chat.postMessage``, ``conversations.open``, ``auth.test``) with Slack's error codes, Tier 3
per-method limits and the 1-per-second-per-channel posting limit (429 + Retry-After,
``{"ok": false, "error": "ratelimited"}``), and the Events API (:mod:`.sandbox_events`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl

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
    FixedWindowLimiter,
    OAuthError,
    OAuthServer,
    OAuthSettings,
    SystemClock,
    Window,
    access_in,
    access_of,
    build_app,
    comma_separated_scopes,
    oauth_routes,
    rebase,
)
from connectors.slack import ORIGINS
from connectors.slack import connector as production_connector
from connectors.slack.sandbox_events import SlackEvents
from connectors.slack.sandbox_store import SlackError, Workspace
from marketplace.sdk import Connector

API = "/api"
TEN_YEARS = 10 * 365 * 86400
_TOKEN_ERRORS = {"code_unknown": "invalid_code", "code_used": "invalid_code",
                 "code_expired": "invalid_code", "verifier": "invalid_code",
                 "redirect_uri": "bad_redirect_uri", "client": "bad_client_secret",
                 "grant_type": "invalid_grant_type"}  # fmt: skip
_AUTH_ERRORS = {"missing": "not_authed", "invalid": "invalid_auth", "revoked": "token_revoked",
                "expired": "token_expired"}  # fmt: skip
SCOPES = {"chat.postMessage": "chat:write", "conversations.open": "im:write"}


def fail(code: str, status: int = 200, headers: Mapping[str, str] | None = None, **extra: Any):
    return JSONResponse({"ok": False, "error": code, **extra}, status, dict(headers or {}))


class SlackSandbox:
    """State and app of one simulated Slack app + workspace; serve ``.app`` with SandboxServer."""

    def __init__(
        self, *, clock: Clock | None = None, tier3_per_minute: int = 50, per_channel: int = 1
    ) -> None:
        self.clock = clock or SystemClock()
        self.workspace = Workspace(self.clock)
        self.app_id = "A0SANDBOX"
        self.events = SlackEvents(self.workspace, self.clock, self.app_id)
        self.oauth = OAuthServer(
            OAuthSettings(
                access_ttl=TEN_YEARS,  # bot tokens last until revoked (no token rotation)
                code_ttl=600,
                require_pkce=False,
                default_tenants=(self.workspace.team_id,),
                access_token_prefix="xoxb-",
            ),
            clock=self.clock,
        )
        self.limiter = FixedWindowLimiter([Window("tier3", tier3_per_minute, 60)], self.clock)
        self.channel_limiter = FixedWindowLimiter([Window("channel", per_channel, 1)], self.clock)
        self.app = build_app(
            self._routes(),
            oauth=self.oauth,
            protect=lambda path: path.startswith(API) and not path.startswith(f"{API}/oauth."),
            unauthorized=lambda reason: fail(_AUTH_ERRORS.get(reason, "invalid_auth")),
            limiter=self.limiter,
            rate_key=self._rate_key,
            too_many=self._too_many,
        )

    def register_client(self, redirect_uris: tuple[str, ...] | list[str]) -> Client:
        return self.oauth.register_client(redirect_uris)

    def connector(self, base_url: str) -> Connector:
        return rebase(production_connector, ORIGINS, base_url)

    def deliver_events(self) -> list[Delivery]:
        return self.events.deliver()

    # -- OAuth ---------------------------------------------------------------------------------
    def _token_body(self, body: dict[str, Any], _form: Mapping[str, str]) -> dict[str, Any]:
        return {
            "ok": True,
            "access_token": body["access_token"],
            "token_type": "bot",
            "scope": body["scope"].replace(" ", ","),
            "bot_user_id": self.workspace.bot_user_id,
            "app_id": self.app_id,
            "team": {"name": self.workspace.team_name, "id": self.workspace.team_id},
            "enterprise": None,
            "authed_user": {"id": "U0ANN"},
            "is_enterprise_install": False,
        }

    @staticmethod
    def _token_error(failure: OAuthError, _form: Mapping[str, str]) -> dict[str, Any]:
        return {"ok": False, "error": _TOKEN_ERRORS.get(failure.reason, "invalid_code")}

    # -- rate limiting -------------------------------------------------------------------------
    @staticmethod
    def _rate_key(scope: Scope) -> str | None:
        access = access_in(scope)
        if not isinstance(access, AccessToken):
            return None
        return f"{access.grant.client_id}:{access.grant.tenant_ids[0]}:{scope['path']}"

    @staticmethod
    def _too_many(decision: Decision) -> Response:
        return fail("ratelimited", 429, {"Retry-After": str(decision.retry_after)})

    # -- Web API methods -----------------------------------------------------------------------
    def _method(self, name: str, handler: Callable[[Request, dict[str, Any]], Any]):
        needed = SCOPES.get(name)

        async def endpoint(request: Request) -> Response:
            access = access_of(request)
            if needed and needed not in access.grant.scopes:
                return fail("missing_scope", needed=needed, provided=",".join(access.grant.scopes))
            raw = await request.body()
            try:
                if request.headers.get("content-type", "").startswith("application/json"):
                    data = json.loads(raw or b"{}")
                else:
                    data = dict(parse_qsl(raw.decode()))
            except ValueError:
                return fail("invalid_json")
            try:
                result = handler(request, data)
            except SlackError as failure:
                return fail(failure.code, **failure.extra)
            return result if isinstance(result, Response) else JSONResponse({"ok": True, **result})

        return endpoint

    def _post_message(self, request: Request, data: dict[str, Any]) -> Any:
        access = access_of(request)
        key = f"{access.grant.tenant_ids[0]}:{data.get('channel')}"
        decision = self.channel_limiter.hit(key)
        if not decision.allowed:
            return self._too_many(decision)
        return self.workspace.post(data, set(access.grant.scopes))

    def _open(self, _request: Request, data: dict[str, Any]) -> Any:
        return {"channel": self.workspace.open_dm(str(data.get("users", "")))}

    def _auth_test(self, request: Request, _data: dict[str, Any]) -> Any:
        ws = self.workspace
        return {"url": "https://sandbox.slack.com/", "team": ws.team_name, "team_id": ws.team_id,
                "user": "flowyard", "user_id": ws.bot_user_id, "bot_id": "B0BOT",
                "is_enterprise_install": False}  # fmt: skip

    def _routes(self) -> list[Route]:
        def method(name: str, handler: Callable[[Request, dict[str, Any]], Any]) -> Route:
            return Route(f"{API}/{name}", self._method(name, handler), methods=["POST"])

        return [
            *oauth_routes(
                self.oauth,
                authorize_path="/oauth/v2/authorize",
                token_path=f"{API}/oauth.v2.access",
                authorize_params=comma_separated_scopes,
                error_body=self._token_error,
                error_status=lambda _error: 200,
                token_body=self._token_body,
            ),
            method("chat.postMessage", self._post_message),
            method("conversations.open", self._open),
            method("auth.test", self._auth_test),
        ]
