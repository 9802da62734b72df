"""How the Slack actions call the Web API: JSON POSTs, and Slack's ``{"ok": false, "error"}``
answers (sent with HTTP 200) mapped onto the HTTP status they mean, so the one shared mapping in
``connectors.common`` classifies them like every other provider's failures."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connectors.common import raise_for_status, send
from marketplace.sdk import ActionContext

PROVIDER = "Slack"
_STATUS = {
    **dict.fromkeys(("not_authed", "invalid_auth", "account_inactive", "token_revoked",
                     "token_expired", "no_permission"), 401),
    **dict.fromkeys(("missing_scope", "not_allowed_token_type", "ekm_access_denied",
                     "restricted_action", "team_access_not_granted"), 403),
    **dict.fromkeys(("channel_not_found", "user_not_found", "users_not_found",
                     "message_not_found"), 404),
    "ratelimited": 429,
    **dict.fromkeys(("internal_error", "fatal_error", "service_unavailable",
                     "request_timeout"), 500),
}  # fmt: skip


def error_detail(response: httpx.Response) -> str | None:
    body = response.json()
    needed = body.get("needed")
    return f"{body.get('error')} (needs {needed})" if needed else body.get("error")


def call(ctx: ActionContext, method: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """POST ``/<method>`` with a JSON body; returns the body of an ``ok`` answer."""
    response = send(
        ctx.http,
        "POST",
        f"/{method}",
        provider=PROVIDER,
        detail=error_detail,
        json={k: v for k, v in payload.items() if v is not None},
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
    body = response.json()
    if body.get("ok"):
        return body
    as_http = httpx.Response(
        _STATUS.get(str(body.get("error")), 400),
        headers=response.headers,
        content=response.content,
        request=response.request,
    )
    raise_for_status(as_http, provider=PROVIDER, detail=error_detail)
    return body  # unreachable: every mapped status is >= 400
