"""The inbound pipeline: find the endpoint, check the signature, dedupe, store, queue.

Nothing is acknowledged before it is stored: the :class:`InboundEvent` row, the queued
execution and its outbox message are committed in one transaction, and only then does the
caller answer 202. If Redis is down the outbox row waits for the relay; if PostgreSQL is down
the database error propagates and the route answers 503 so the sender retries.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.db import system_session
from flowyard.engine.executions import start_execution
from flowyard.engine.models import Workflow
from flowyard.webhooks import endpoints, fastpath
from flowyard.webhooks.models import InboundEndpoint, InboundEvent
from flowyard.webhooks.per_loop import PerLoop
from flowyard.webhooks.replies import NOT_FOUND, Reply, accepted
from flowyard.webhooks.requests import (
    RawRequest,
    UnreadableBody,
    dedupe_key,
    setup_call,
    trigger_payload,
)
from flowyard.webhooks.schemes.asana import asana_handshake
from flowyard.webhooks.verify import verify

REJECTED_BODY_KEEP = 4096
GENERAL_CONCURRENCY = 8
"""Requests on the general path at once, per event loop (process). Why a limit: each holds
a database connection for a short transaction; more threads only queue on the GIL and add
PostgreSQL backends competing for the same cores (and exhaust ``max_connections`` under a
burst). Kept below the engine's ``pool_size`` (10): beyond it the pool opens and closes an
overflow connection per request, which profiling showed costing more than the statement."""
_slots = PerLoop(lambda: anyio.CapacityLimiter(GENERAL_CONCURRENCY))


def _event(endpoint: InboundEndpoint, request: RawRequest, **values: Any) -> InboundEvent:
    return InboundEvent(
        tenant_id=endpoint.tenant_id,
        endpoint_id=endpoint.id,
        workflow_id=endpoint.workflow_id,
        received_at=clock.now(),
        method=request.method,
        query=request.query[:2000],
        headers=request.lowered,
        content_type=request.content_type[:200],
        body=request.body,
        **values,
    )


def _lookup(db: Session, token: str) -> tuple[InboundEndpoint, Workflow] | None:
    row = db.exec(
        select(InboundEndpoint, Workflow)
        .join(Workflow, col(Workflow.id) == col(InboundEndpoint.workflow_id))
        .where(InboundEndpoint.token == token)
    ).first()
    if row is None or row[1].trigger_kind != "webhook" or row[1].published_version_id is None:
        return None
    return row[0], row[1]


def _asana_handshake(endpoint: InboundEndpoint, request: RawRequest, db: Session) -> Reply | None:
    """Asana's set-up call carries the secret itself: accepted only while none is stored
    (choosing Asana again on the endpoint clears it for a new handshake)."""
    secret = asana_handshake(request.headers)
    if not secret or endpoint.secret or "x-hook-signature" in request.lowered:
        return None
    endpoint.secret = endpoints.vault.encrypt(secret, context=endpoints.secret_context(endpoint))
    db.add(endpoint)
    db.add(_event(endpoint, request, status="handshake", note="Asana handshake"))
    db.commit()
    endpoints.forget_cached(endpoint)
    return Reply(200, {"ok": True}, {"X-Hook-Secret": secret})


def _verified_handshake(
    endpoint: InboundEndpoint, request: RawRequest, db: Session
) -> Reply | None:
    """Signed set-up calls (Slack's challenge, Xero's intent to receive): no run starts."""
    kind = setup_call(endpoint.scheme, request)
    if kind == "slack":
        data = request.json()
        db.add(_event(endpoint, request, verified=True, status="handshake", note="Slack check"))
        db.commit()
        return Reply(200, {"challenge": data.get("challenge", "")})
    if kind == "xero":
        db.add(_event(endpoint, request, verified=True, status="handshake", note="Xero check"))
        db.commit()
        return Reply(200, None)
    return None


def _verified(endpoint: InboundEndpoint, request: RawRequest) -> bool:
    secret = endpoints.stored_secret(endpoint)
    if secret is None:
        return False
    return verify(
        endpoint.scheme,
        secret,
        request.headers,
        request.body,
        now=clock.now().timestamp(),
        method=request.method,
        uri=request.url,
    )


def _find_duplicate(db: Session, endpoint: InboundEndpoint, key: str) -> InboundEvent | None:
    """The earlier event with the same sender id inside the window (serialised per key)."""
    lock = int.from_bytes(hashlib.blake2b(f"{endpoint.id}:{key}".encode(), digest_size=8).digest(),
                          "big", signed=True)  # fmt: skip
    db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
    since = clock.now() - timedelta(seconds=endpoint.dedupe_window_seconds)
    return db.exec(
        select(InboundEvent)
        .where(
            InboundEvent.endpoint_id == endpoint.id,
            InboundEvent.dedupe_key == key,
            InboundEvent.received_at >= since,
            col(InboundEvent.status).in_(("started", "held")),
        )
        .order_by(col(InboundEvent.received_at))
        .limit(1)
    ).first()


async def receive(token: str, request: RawRequest) -> Reply:
    """Handle one request to ``/hooks/{token}`` (the route's entry point).

    The common case (a known endpoint, no sender id to dedupe on, no set-up call) is stored
    by :mod:`flowyard.webhooks.fastpath` in one statement on the event loop; everything
    else, and anything the fast path is unsure about, takes :func:`accept` in a worker
    thread (at most :data:`GENERAL_CONCURRENCY` at once per event loop).
    """
    reply = await fastpath.try_accept(token, request)
    if reply is None:
        reply = await anyio.to_thread.run_sync(accept, token, request, limiter=_slots.get())
    return reply


def accept(token: str, request: RawRequest) -> Reply:
    """The general path (blocking; run it in a worker thread).

    It uses a system session on purpose: until the token is resolved we do not know the
    tenant; every row written carries the endpoint's ``tenant_id``.
    """
    with system_session() as db:
        found = _lookup(db, token)
        if found is None:
            return NOT_FOUND
        endpoint, workflow = found
        if endpoint.scheme.startswith("asana"):
            handshake = _asana_handshake(endpoint, request, db)
            if handshake is not None:
                return handshake
        if endpoint.scheme:
            if not _verified(endpoint, request):
                rejected = _event(endpoint, request, verified=False, status="rejected",
                                  note="Signature missing, wrong or too old.")  # fmt: skip
                rejected.body = request.body[:REJECTED_BODY_KEEP]
                db.add(rejected)
                db.commit()
                return Reply(401, {"error": "The request's signature is missing or does not "
                                            "match this webhook's secret."})  # fmt: skip
            handshake = _verified_handshake(endpoint, request, db)
            if handshake is not None:
                return handshake
        try:
            event_id = uuid.uuid4()
            received = clock.now()
            payload = trigger_payload(request, str(event_id), received.isoformat())
        except UnreadableBody as error:
            return Reply(400, {"error": str(error)})
        key = dedupe_key(endpoint.scheme, request.headers, request.body)
        if key is not None:
            earlier = _find_duplicate(db, endpoint, key)
            if earlier is not None:
                db.add(
                    _event(endpoint, request, verified=bool(endpoint.scheme) or None,
                           dedupe_key=key, status="duplicate", duplicate_of=earlier.id,
                           execution_id=earlier.execution_id,
                           note="Same event as one already received; not started again.")
                )  # fmt: skip
                db.commit()
                return Reply(202, {"event_id": str(earlier.id), "duplicate": True})
        event = _event(
            endpoint,
            request,
            id=event_id,
            verified=True if endpoint.scheme else None,
            dedupe_key=key,
        )
        event.received_at = received
        if endpoint.paused or not workflow.enabled:
            event.status = "held"
            event.note = "Endpoint paused: kept until released."
        else:
            execution = start_execution(db, workflow, payload, trigger_kind="webhook", commit=False)
            event.execution_id = execution.id
        db.add(event)
        db.commit()
        return accepted(
            event.id,
            event.execution_id,
            mode=endpoint.mode,
            tenant_id=endpoint.tenant_id,
            sync_timeout_seconds=endpoint.sync_timeout_seconds,
        )


def count_events(db: Session, endpoint_id: uuid.UUID) -> int:
    return int(
        db.exec(
            select(func.count())
            .select_from(InboundEvent)
            .where(InboundEvent.endpoint_id == endpoint_id)
        ).one()
    )
