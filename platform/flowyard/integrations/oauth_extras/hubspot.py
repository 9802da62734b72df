"""HubSpot: client credentials in the form body, its own token error format, and the portal
the token belongs to (``GET /oauth/v1/access-tokens/{token}``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from connectors.hubspot.oauth_compat import rfc6749_errors

TOKEN_AUTH_METHOD = "client_secret_post"
token_response_hook = rfc6749_errors


def after_token(
    http: httpx.Client, token: Mapping[str, Any], _remembered: Mapping[str, Any]
) -> dict[str, Any]:
    response = http.get(f"/oauth/v1/access-tokens/{token['access_token']}")
    if response.status_code != 200:
        return {"label": "HubSpot account", "extras": {}}
    info = response.json()
    return {
        "label": f"{info.get('hub_domain') or 'HubSpot'} (portal {info.get('hub_id')})",
        "extras": {"hubspot_portal_id": info.get("hub_id")},
    }
