"""Asana: the token response names the user who connected (``data``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

TOKEN_AUTH_METHOD = "client_secret_post"


def after_token(
    _http: httpx.Client, token: Mapping[str, Any], _remembered: Mapping[str, Any]
) -> dict[str, Any]:
    user = token.get("data") or {}
    label = user.get("email") or user.get("name") or "Asana workspace"
    return {"label": label, "extras": {"asana_user_gid": user.get("gid")}}
