"""``POST /hooks/{token}``: the public address webhook-triggered workflows are called on.

Answers: 202 ``{"event_id"}`` once the event is stored (or the workflow's response in
synchronous mode), 401 for a bad signature, 404 for an unknown address (the same answer
whatever the reason), 413 over the size limit, 503 when the database cannot store the
event (so the sender retries).

The handler is a plain ASGI callable (Starlette's ``Route`` only matches the path): it reads
the body and writes the answer itself, without Starlette's ``Request``/``Response`` objects
and their URL and header wrappers on this hot path. The common case (a known endpoint, see
:mod:`flowyard.webhooks.fastpath`) is stored on the event loop with one statement over an
async connection; everything else takes the general path in a worker thread
(:func:`flowyard.webhooks.ingest.receive`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flowyard.db.engine import DatabaseNotConfigured
from flowyard.security.guard import public_route
from flowyard.settings import get_settings
from flowyard.webhooks import fastpath, ingest, respond
from flowyard.webhooks.replies import Reply
from flowyard.webhooks.requests import RawRequest

log = logging.getLogger("flowyard.hooks")
MAX_BODY_BYTES = 1024 * 1024
POLL_SECONDS = 0.05
TOO_LARGE = (
    "This webhook's body is larger than 1 MiB, the most a webhook address accepts. "
    "Send a smaller payload (for example a link to the data instead of the data)."
)
UNAVAILABLE = "We could not store this event right now. Nothing was kept; please send it again."
_DATABASE_DOWN = (OperationalError, DBAPIError, DatabaseNotConfigured, psycopg.OperationalError)


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    """The sender hung up before its body arrived: there is nobody to answer."""


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _raw_request(scope: Scope, body: bytes) -> RawRequest:
    """The request as the ingress stores and verifies it; ``url`` is the address the sender
    called (HubSpot signs it), as configured publicly."""
    path: str = scope["path"]
    query = scope.get("query_string", b"").decode()
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    base = get_settings().public_base_url.rstrip("/")
    url = f"{base}{path}?{query}" if query else f"{base}{path}"
    return RawRequest(method=scope["method"], path=path, query=query, headers=headers, body=body,
                      url=url)  # fmt: skip


def _encode(body: Any) -> bytes:
    """JSON exactly as Starlette's ``JSONResponse`` renders it (compact, UTF-8)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def _answer(
    send: Send, status: int, body: Any = None, headers: dict[str, str] | None = None
) -> None:
    """Send a JSON answer (no body and no content type when ``body`` is None)."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    content = b"" if body is None else _encode(body)
    raw.append((b"content-length", str(len(content)).encode()))
    if body is not None:
        raw.append((b"content-type", b"application/json"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": content})


async def _wait_for_result(send: Send, reply: Reply) -> None:
    deadline = time.monotonic() + reply.timeout
    assert reply.wait_for is not None and reply.tenant_id is not None
    while time.monotonic() < deadline:
        result = await run_in_threadpool(respond.result_of, reply.tenant_id, reply.wait_for)
        if result is not None:
            status, body, headers = result
            await _answer(send, status, body, {"X-Webhook-Event-Id": reply.event_id, **headers})
            return
        await asyncio.sleep(POLL_SECONDS)
    await _answer(send, 202, reply.body)


class HookEndpoint:
    """The raw ASGI handler of ``/hooks/{token}`` (Starlette's ``Route`` gives the token)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token: str = scope["path_params"]["token"]
        if not 20 <= len(token) <= 64:
            await _answer(send, 404, ingest.NOT_FOUND.body)
            return
        try:
            body = await _read_body(scope, receive, MAX_BODY_BYTES)
        except _TooLarge:
            await _answer(send, 413, {"error": TOO_LARGE})
            return
        except _Disconnected:
            return
        try:
            reply = await ingest.receive(token, _raw_request(scope, body))
        except _DATABASE_DOWN as error:
            log.warning("hooks: database unavailable, answered 503 (%s)", type(error).__name__)
            await _answer(send, 503, {"error": UNAVAILABLE}, {"Retry-After": "30"})
            return
        if reply.wait_for is not None:
            await _wait_for_result(send, reply)
        else:
            await _answer(send, reply.status, reply.body, reply.headers)


hook_endpoint = public_route(
    "provider webhooks: the unguessable token and the signature are the credential"
)(HookEndpoint())


def hooks_app() -> Starlette:
    """The Starlette app Reflex mounts in front of its own routes (``api_transformer``)."""
    fastpath.warm_up()
    return Starlette(routes=[Route("/hooks/{token}", hook_endpoint, methods=["POST", "PUT"])])
