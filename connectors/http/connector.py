"""HTTP request: methods, headers, JSON/form body, auth, timeout.

The engine hands the action an httpx client whose transport refuses private, loopback and
link-local destinations (SSRF), so a tenant cannot reach the platform's own network.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from marketplace.sdk import (
    Action,
    ActionContext,
    ActionError,
    AuthError,
    Connector,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)

MAX_RESPONSE_BYTES = 5 * 1024 * 1024


class HttpAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["none", "bearer", "basic"] = "none"
    token: str | None = None
    username: str | None = None
    password: str | None = None


class HttpRequestInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://", max_length=4000)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    json_body: JsonValue | None = None
    form_body: dict[str, str] | None = None
    auth: HttpAuth = Field(default_factory=HttpAuth)
    fail_on_error_status: bool = True

    @model_validator(mode="after")
    def _one_body(self) -> HttpRequestInputs:
        if self.json_body is not None and self.form_body is not None:
            raise ValueError("send either a JSON body or a form body, not both")
        return self


def _auth_header(auth: HttpAuth) -> dict[str, str]:
    if auth.kind == "bearer":
        if not auth.token:
            raise InvalidInputError("Bearer authentication needs a token.")
        return {"Authorization": f"Bearer {auth.token}"}
    if auth.kind == "basic":
        raw = f"{auth.username or ''}:{auth.password or ''}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
    return {}


def raise_for_status(response: httpx.Response) -> None:
    """Turn an error status into a classified error so retry policies can act on it."""
    status = response.status_code
    if status < 400:
        return
    detail = response.text[:300]
    where = f"{response.request.method} {response.request.url.host}"
    if status == 429:
        retry_after = response.headers.get("Retry-After")
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        raise RateLimitedError(f"{where} asked us to slow down.", retry_after=seconds)
    if status in (401, 403):
        raise AuthError(f"{where} refused our credentials ({status}).", details=detail)
    if status == 404:
        raise NotFoundError(f"{where} answered that the address does not exist (404).")
    if status >= 500:
        raise ServerError(f"{where} had a problem on its side ({status}).", details=detail)
    raise ActionError(f"{where} refused the request ({status}).", details=detail)


def http_request(ctx: ActionContext, inputs: HttpRequestInputs) -> dict[str, Any]:
    headers = {**inputs.headers, **_auth_header(inputs.auth)}
    headers.setdefault("Idempotency-Key", ctx.idempotency_key)
    response = ctx.http.request(
        inputs.method,
        inputs.url,
        params=inputs.query or None,
        headers=headers,
        json=inputs.json_body if inputs.json_body is not None else None,
        data=inputs.form_body,
    )
    if inputs.fail_on_error_status:
        raise_for_status(response)
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "body": _body(response),
    }


def _body(response: httpx.Response) -> Any:
    content = response.content[:MAX_RESPONSE_BYTES]
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return content.decode(response.encoding or "utf-8", errors="replace")


connector = Connector(
    key="http",
    name="HTTP",
    version="1.0.0",
    description="Call any web address: GET, POST and more, with JSON or form data.",
    icon="globe",
    categories=("built-in", "developer"),
    actions=(
        Action("request", "Send an HTTP request", "Call a web API and use its answer.",
               HttpRequestInputs, http_request),
    ),
)  # fmt: skip
