"""ASGI wrapper: security headers on every response, and a body size cap on our own routes.

It wraps the whole app (Reflex pages, websocket handshake, ``/auth``), so no route can forget
the headers. The CSP allows inline scripts and ``eval`` because Reflex's runtime needs them
(toasts from the backend break without ``'unsafe-eval'``); everything else is same-origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:; "
    "img-src 'self' data: blob: https:; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# Served on an agency's own domain, its pages may be framed by that agency's portals only.
HSTS = "max-age=31536000; includeSubDomains"

# Our own routes and how large a request body each may send (bytes). Reflex's routes are
# left to Reflex (its websocket has its own message cap).
BODY_LIMITS: tuple[tuple[str, int], ...] = (
    ("/auth/", 16 * 1024),
    ("/api/", 1024 * 1024),
    ("/hooks/", 1024 * 1024),
)


def _limit_for(path: str) -> int | None:
    for prefix, limit in BODY_LIMITS:
        if path.startswith(prefix):
            return limit
    return None


def _frame_ancestors(scope: Scope) -> str:
    host = next((v for k, v in scope.get("headers", []) if k == b"host"), b"").decode("latin-1")
    if not host or host.split(":")[0] in ("127.0.0.1", "localhost"):
        return "'none'"
    from flowyard.security.cors import frame_ancestors_for_host

    return frame_ancestors_for_host(host)


def _headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    ancestors = _frame_ancestors(scope)
    policy = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors {ancestors}"
    )
    extra = [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"content-security-policy", policy.encode()),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    ]
    if ancestors == "'none'":
        extra.append((b"x-frame-options", b"DENY"))
    if _is_https(scope):
        extra.append((b"strict-transport-security", HSTS.encode()))
    return extra


def _is_https(scope: Scope) -> bool:
    if scope.get("scheme") in ("https", "wss"):
        return True
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-proto":
            return value.split(b",")[0].strip() == b"https"
    return False


async def _too_large(send: Send, scope: Scope) -> None:
    body = b"That request is too large."
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *_headers(scope)],
        }
    )
    await send({"type": "http.response.body", "body": body})


def security_headers(app: ASGIApp) -> ASGIApp:
    """Wrap ``app``; pass this function in ``rx.App(api_transformer=[...])``."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        extra = _headers(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(h for h in extra if h[0] not in present),
                ]
            await send(message)

        limit = _limit_for(scope.get("path", ""))
        if limit is None:
            await app(scope, receive, send_with_headers)
            return
        # Read the (small) body up front so an oversized one is refused before any handler runs.
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, scope)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, scope)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await app(scope, replay, send_with_headers)

    return wrapped
