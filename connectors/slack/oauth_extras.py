"""Slack's OAuth quirks for the integrations core (see ``flowyard.integrations.oauth_extras``).

``oauth.v2.access`` answers with a bot token (``xoxb-…``, ``token_type: bot``) plus the workspace
and the bot's user id; errors come back as HTTP 200 ``{"ok": false, "error": …}``, which this
hook turns into RFC 6749 errors before authlib reads them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

TOKEN_AUTH_METHOD = "client_secret_post"
_GRANT_ERRORS = {"invalid_code", "code_already_used", "code_expired", "bad_redirect_uri",
                 "invalid_refresh_token"}  # fmt: skip


def token_response_hook(response: httpx.Response) -> httpx.Response:
    try:
        body = response.json()
    except ValueError:
        return response
    if not isinstance(body, dict) or body.get("ok") is not False:
        return response
    error = str(body.get("error", "unknown_error"))
    rfc = {
        "error": "invalid_grant"
        if error in _GRANT_ERRORS
        else "invalid_client"
        if error in ("invalid_client_id", "bad_client_secret")
        else "invalid_request",
        "error_description": f"Slack said {error}",
    }
    return httpx.Response(
        400,
        headers={"content-type": "application/json"},
        content=json.dumps(rfc).encode(),
        request=response.request,
    )


def after_token(
    _http: httpx.Client, token: Mapping[str, Any], _remembered: Mapping[str, Any]
) -> dict[str, Any]:
    team = token.get("team") or {}
    return {
        "label": team.get("name") or "Slack workspace",
        "extras": {"slack_team_id": team.get("id"), "slack_bot_user_id": token.get("bot_user_id")},
    }
