"""``POST /hooks/{token}``: the public address webhook-triggered workflows are called on.

Answers: 202 ``{"event_id"}`` once the event is stored (or the workflow's response in
synchronous mode), 401 for a bad signature, 404 for an unknown address (the same answer
whatever the reason), 413 over the size limit, 503 when the database cannot store the
event (so the sender retries). The blocking work runs in Starlette's thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any

import anyio
import anyio.to_thread
import psycopg
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowyard.db.engine import DatabaseNotConfigured
from flowyard.security.guard import public_route
from flowyard.settings import get_settings
from flowyard.webhooks import ingest, respond
from flowyard.webhooks.requests import RawRequest

log = logging.getLogger("flowyard.hooks")
MAX_BODY_BYTES = 1024 * 1024
POLL_SECONDS = 0.05
TOO_LARGE = (
    "This webhook's body is larger than 1 MiB, the most a webhook address accepts. "
    "Send a smaller payload (for example a link to the data instead of the data)."
)
UNAVAILABLE = "We could not store this event right now. Nothing was kept; please send it again."
INGEST_CONCURRENCY = 8
"""Requests storing an event at once, per process. Why a limit: each holds a database
connection for one short statement; more threads only queue on the GIL and add PostgreSQL
backends competing for the same cores (and exhaust ``max_connections`` under a burst).
Kept below the engine's ``pool_size`` (10): beyond it the pool opens and closes an overflow
connection per request, which profiling showed costing more than the statement itself."""
_ingest_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _slots() -> anyio.CapacityLimiter:
    """One limiter per event loop (a limiter must not be shared between loops)."""
    loop = asyncio.get_running_loop()
    limiter = _ingest_slots.get(loop)
    if limiter is None:
        limiter = _ingest_slots[loop] = anyio.CapacityLimiter(INGEST_CONCURRENCY)
    return limiter


class _TooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _public_uri(request: Request) -> str:
    """The address the sender called (HubSpot signs it), as configured publicly."""
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{get_settings().public_base_url.rstrip('/')}{request.url.path}{query}"


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def _wait_for_result(reply: ingest.Reply) -> Response:
    deadline = time.monotonic() + reply.timeout
    assert reply.wait_for is not None and reply.tenant_id is not None
    while time.monotonic() < deadline:
        result = await run_in_threadpool(respond.result_of, reply.tenant_id, reply.wait_for)
        if result is not None:
            status, body, headers = result
            return _json(status, body, {"X-Webhook-Event-Id": reply.event_id, **headers})
        await asyncio.sleep(POLL_SECONDS)
    return _json(202, reply.body)


@public_route("provider webhooks: the unguessable token and the signature are the credential")
async def receive(request: Request) -> Response:
    token = request.path_params["token"]
    if not 20 <= len(token) <= 64:
        return _json(404, ingest.NOT_FOUND.body)
    try:
        body = await _read_body(request, MAX_BODY_BYTES)
    except _TooLarge:
        return _json(413, {"error": TOO_LARGE})
    raw = RawRequest(
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        headers=dict(request.headers.items()),
        body=body,
        url=_public_uri(request),
    )
    try:
        reply = await anyio.to_thread.run_sync(ingest.accept, token, raw, limiter=_slots())
    except (OperationalError, DBAPIError, DatabaseNotConfigured, psycopg.OperationalError) as error:
        log.warning("hooks: database unavailable, answered 503 (%s)", type(error).__name__)
        return _json(503, {"error": UNAVAILABLE}, {"Retry-After": "30"})
    if reply.wait_for is not None:
        return await _wait_for_result(reply)
    return _json(reply.status, reply.body, reply.headers)


def hooks_app() -> Starlette:
    """The Starlette app Reflex mounts in front of its own routes (``api_transformer``)."""
    return Starlette(routes=[Route("/hooks/{token}", receive, methods=["POST", "PUT"])])
