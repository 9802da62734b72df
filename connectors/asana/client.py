"""How the Asana actions call the API: ``{"data": …}`` envelopes, errors classified once."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.common import send
from marketplace.sdk import ActionContext

PROVIDER = "Asana"


def error_detail(response: httpx.Response) -> str | None:
    """Asana's ``errors[].message`` joined."""
    return "; ".join(e.get("message", "") for e in response.json().get("errors", [])) or None


def call(ctx: ActionContext, method: str, path: str, *, data: Any = None, **kwargs: Any) -> Any:
    """One call; the request body is wrapped and the answer unwrapped from ``data``."""
    if data is not None:
        kwargs["json"] = {"data": data}
    response = send(ctx.http, method, path, provider=PROVIDER, detail=error_detail, **kwargs)
    return response.json().get("data") if response.content else None
