"""How the HubSpot actions call the CRM API: JSON in and out, errors classified once."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.common import send
from marketplace.sdk import ActionContext

PROVIDER = "HubSpot"


def error_detail(response: httpx.Response) -> str | None:
    """HubSpot's error ``message`` (every CRM error body has one)."""
    return response.json().get("message")


def call(ctx: ActionContext, method: str, path: str, **kwargs: Any) -> Any:
    response = send(ctx.http, method, path, provider=PROVIDER, detail=error_detail, **kwargs)
    return response.json() if response.content else {}
