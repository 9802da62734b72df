"""Turns provider HTTP failures into the SDK's classified errors, once for every connector.

The engine's retry policy keys on the error class (rate limits and server errors retry, auth and
bad input do not), and the message is shown to the tenant, so it says what to do in plain English.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from marketplace.sdk import (
    ActionError,
    ActionTimeout,
    AuthError,
    InvalidInputError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    ServerError,
)

Detail = Callable[[httpx.Response], str | None]
"""Pulls the provider's own error message out of a response body (or None)."""


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), else None."""
    raw = headers.get("retry-after") or headers.get("Retry-After")
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _detail(response: httpx.Response, detail: Detail | None) -> str:
    if detail is not None:
        try:
            found = detail(response)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            found = None
        if found:
            return found.strip()
    return (response.text or "").strip()[:300]


def _sentence(text: str) -> str:
    return f" ({text})" if text else ""


def raise_for_status(
    response: httpx.Response, *, provider: str, detail: Detail | None = None
) -> None:
    """Raise the SDK error for a failed response; return quietly for 1xx-3xx."""
    status = response.status_code
    if status < 400:
        return
    said = _detail(response, detail)
    info: dict[str, Any] = {"status": status, "provider_message": said}
    if status == 401:
        raise AuthError(
            f"{provider} asked us to sign in again: the connection's access has expired or was "
            f"revoked. Reconnect {provider} under Connections, then retry the step.",
            details=info,
        )
    if status == 403:
        raise AuthError(
            f"{provider} refused access for this connection{_sentence(said)}. Check that the "
            f"connected {provider} account has permission, or reconnect it.",
            details=info,
        )
    if status == 404:
        raise NotFoundError(
            f"{provider} couldn't find that record{_sentence(said)}. It may have been deleted, "
            "or the ID in this step points at another account.",
            details=info,
        )
    if status == 429:
        wait = retry_after_seconds(response.headers)
        when = f"in about {wait:.0f} seconds" if wait is not None else "shortly"
        raise RateLimitedError(
            f"{provider} says we're sending too many requests; we'll try again {when}.",
            retry_after=wait,
            details=info,
        )
    if status >= 500:
        raise ServerError(
            f"{provider} had a problem on its side (HTTP {status}); we'll retry.", details=info
        )
    if status in (400, 409, 422):
        raise InvalidInputError(f"{provider} rejected the request{_sentence(said)}.", details=info)
    raise ActionError(f"{provider} answered HTTP {status}{_sentence(said)}.", details=info)


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    detail: Detail | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """``client.request`` with transport failures and HTTP errors mapped to SDK errors."""
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        raise ActionTimeout(
            f"{provider} didn't answer in time; we'll retry.", details={"error": repr(error)}
        ) from error
    except httpx.TransportError as error:
        raise NetworkError(
            f"We couldn't reach {provider} (network problem); we'll retry.",
            details={"error": repr(error)},
        ) from error
    raise_for_status(response, provider=provider, detail=detail)
    return response
