"""How the Xero actions talk to the API: JSON, tenant header, idempotency, classified errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from connectors.common import send
from marketplace.sdk import ActionContext, InvalidInputError

PROVIDER = "Xero"
API = "/api.xro/2.0"
_MS_DATE = re.compile(r"/Date\((-?\d+)([+-]\d{4})?\)/")


def error_detail(response: httpx.Response) -> str | None:
    """Xero's own words: validation messages, else the problem-details ``Detail``/``Message``."""
    body = response.json()
    messages = [
        err["Message"]
        for element in body.get("Elements", [])
        for err in element.get("ValidationErrors", [])
    ]
    return "; ".join(messages) or body.get("Detail") or body.get("Message")


def tenant_id(ctx: ActionContext) -> str | None:
    """The Xero organisation chosen when the connection was made (``/connections`` tenantId)."""
    found = ctx.credentials.get("xero_tenant_id") or ctx.settings.get("xero_tenant_id")
    return str(found) if found else None


def _dumps(body: Any) -> bytes:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return float(value)
        raise TypeError(f"cannot encode {type(value).__name__}")

    return json.dumps(body, default=default).encode()


def call(
    ctx: ActionContext,
    method: str,
    path: str,
    *,
    body: Any = None,
    params: dict[str, Any] | None = None,
    idempotent: bool = False,
) -> Any:
    """One API call; writes carry ``Idempotency-Key`` so an engine retry creates nothing twice."""
    headers = {"Accept": "application/json"}
    tenant = tenant_id(ctx)
    if tenant:
        headers["xero-tenant-id"] = tenant
    if idempotent:
        headers["Idempotency-Key"] = ctx.idempotency_key
    kwargs: dict[str, Any] = {"headers": headers, "params": params}
    if body is not None:
        headers["Content-Type"] = "application/json"
        kwargs["content"] = _dumps(body)
    response = send(ctx.http, method, path, provider=PROVIDER, detail=error_detail, **kwargs)
    if response.status_code == 204 or not response.content:
        return {}
    return response.json()


def only(body: dict[str, Any], collection: str) -> dict[str, Any]:
    items = body.get(collection) or []
    if not items:
        raise InvalidInputError(f"{PROVIDER} returned no {collection} in its answer.")
    return items[0]


def parse_date(value: str | None) -> str | None:
    """``/Date(1700000000000+0000)/`` (Xero's JSON dates) to ISO 8601; other strings unchanged."""
    if not value:
        return None
    match = _MS_DATE.fullmatch(value)
    if not match:
        return value
    when = datetime.fromtimestamp(int(match.group(1)) / 1000, tz=UTC)
    return when.date().isoformat() if when.time() == datetime.min.time() else when.isoformat()


def quote(value: str) -> str:
    """A string literal for Xero's ``where`` filter."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
