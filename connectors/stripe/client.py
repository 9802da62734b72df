"""How the Stripe actions call the API: form-encoded bodies, Idempotency-Key on every write,
errors classified once from Stripe's ``{"error": {"type", "code", "message"}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx

from connectors.common import send
from connectors.stripe.form import encode
from marketplace.sdk import ActionContext

PROVIDER = "Stripe"
API_VERSION = "2024-06-20"


def error_detail(response: httpx.Response) -> str | None:
    error = response.json().get("error") or {}
    code = error.get("code")
    message = error.get("message")
    return f"{message} [{code}]" if code and message else message


def call(
    ctx: ActionContext,
    method: str,
    path: str,
    *,
    data: Mapping[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    step: str = "",
) -> Any:
    """One call. A write carries ``Idempotency-Key`` = the step's key (+ ``step`` when one action
    makes several writes), so Stripe replays the first answer when the engine retries."""
    headers = {"Stripe-Version": API_VERSION}
    kwargs: dict[str, Any] = {"headers": headers}
    if params:
        kwargs["params"] = encode(params)
    if method == "POST":
        headers["Idempotency-Key"] = (
            f"{ctx.idempotency_key}:{step}" if step else ctx.idempotency_key
        )
        kwargs["content"] = urlencode(encode(data or {})).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = send(ctx.http, method, path, provider=PROVIDER, detail=error_detail, **kwargs)
    return response.json()
