"""The ingress's fast path: a cached endpoint and one SQL statement per accepted webhook.

Why: the general path (:mod:`flowyard.webhooks.ingest`) looks the token up and writes the
event, the execution and the outbox row through the ORM — about a dozen round trips and
several milliseconds of CPU per request. Here the common case costs one round trip:

* the endpoint's settings come from an in-process cache (:class:`EndpointCache`);
* the statement runs on the event loop over an async connection (:mod:`.aiodb`), so the
  request never waits for a worker thread;
* one ``INSERT … SELECT`` statement with data-modifying CTEs writes the event, the queued
  execution and its outbox message — for this webhook and the others waiting for a
  connection at that moment (:mod:`.group_commit`). A single statement in autocommit mode
  is one transaction, so the rows are committed together before the 202, as before;
* the statement inserts nothing unless the endpoint still has exactly the cached settings
  (same token, scheme, secret, pause state, mode, workflow enabled and published version).
  So a stale cache entry can never accept what the database would refuse: a regenerated
  token, a paused endpoint or a new secret take effect at once in every process, and the
  request falls back to the general path, which decides as it always did.

Anything unusual — unknown token, a sender id to deduplicate on, Asana or another provider's
set-up call, a signature that fails against the cached secret — returns None and is handled
by the general path.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flowyard import clock
from flowyard.db import rows
from flowyard.engine.executions import dispatch_actor, execution_values
from flowyard.engine.models import Execution
from flowyard.security import vault
from flowyard.webhooks import aiodb, group_commit
from flowyard.webhooks.models import InboundEvent
from flowyard.webhooks.replies import Reply, accepted
from flowyard.webhooks.requests import (
    RawRequest,
    UnreadableBody,
    dedupe_key,
    setup_call,
    trigger_payload,
)
from flowyard.webhooks.verify import verify
from flowyard.workers import outbox

CACHE_SECONDS = 30.0
CACHE_MAX = 10_000


@dataclass(frozen=True)
class EndpointConfig:
    """What the ingress needs to know about an endpoint, as last read from the database."""

    token: str
    endpoint_id: uuid.UUID
    tenant_id: uuid.UUID
    workflow_id: uuid.UUID
    scheme: str
    stored_secret: str | None  # the vault token, compared in the write
    secret: str | None  # in clear, for verification
    paused: bool
    mode: str
    sync_timeout_seconds: int
    enabled: bool
    version_id: uuid.UUID

    @property
    def holds(self) -> bool:
        """Events are kept but nothing starts (endpoint paused or workflow disabled)."""
        return self.paused or not self.enabled

    @functools.cached_property
    def checks(self) -> dict[str, Any]:
        """These settings as the store statement compares them with the endpoint's row."""
        return {
            "c_endpoint_id": str(self.endpoint_id),
            "c_token": self.token,
            "c_tenant_id": str(self.tenant_id),
            "c_workflow_id": str(self.workflow_id),
            "c_scheme": self.scheme,
            "c_secret": self.stored_secret,
            "c_paused": self.paused,
            "c_mode": self.mode,
            "c_sync_timeout": self.sync_timeout_seconds,
            "c_enabled": self.enabled,
            "c_version_id": str(self.version_id),
        }


class EndpointCache:
    """token → :class:`EndpointConfig` for ``ttl`` seconds (thread-safe, bounded).

    Correctness never depends on it (every write re-checks the settings); the explicit
    :meth:`forget` calls only spare the next request a wasted round trip in this process.
    """

    def __init__(self, ttl: float = CACHE_SECONDS, max_size: int = CACHE_MAX) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._entries: dict[str, tuple[float, EndpointConfig]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> EndpointConfig | None:
        entry = self._entries.get(token)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, config: EndpointConfig) -> None:
        with self._lock:
            if len(self._entries) >= self.max_size:
                self._entries.clear()
            self._entries[config.token] = (time.monotonic() + self.ttl, config)

    def forget(self, token: str | None = None, *, endpoint_id: uuid.UUID | None = None) -> None:
        """Drop one token, every token of an endpoint, or (no argument) everything."""
        with self._lock:
            if token is None and endpoint_id is None:
                self._entries.clear()
                return
            for key, (_expires, config) in list(self._entries.items()):
                if key == token or config.endpoint_id == endpoint_id:
                    del self._entries[key]


cache = EndpointCache()

_LOAD = """
SELECT e.id, e.tenant_id, e.workflow_id, e.scheme, e.secret, e.paused, e.mode,
       e.sync_timeout_seconds, w.enabled, w.published_version_id
FROM webhook_endpoint e JOIN workflow w ON w.id = e.workflow_id
WHERE e.token = %(token)s AND w.trigger_kind = 'webhook' AND w.published_version_id IS NOT NULL
"""

_EVENT_TABLE = rows.table_of(InboundEvent)
_EXECUTION_TABLE = rows.table_of(Execution)
_OUTBOX_TABLE = rows.table_of(outbox.OutboxMessage)


def _config(token: str, row: tuple[Any, ...] | None) -> EndpointConfig | None:
    """The endpoint's settings from a :data:`_LOAD` row (cached), or None if unknown."""
    if row is None:
        return None
    endpoint_id, tenant_id, workflow_id, scheme, stored, paused, mode, timeout, enabled, vid = row
    secret = None
    if stored:
        context = f"tenant:{tenant_id}:webhook-endpoint:{endpoint_id}"
        secret = vault.decrypt(stored, context=context)
    config = EndpointConfig(token, endpoint_id, tenant_id, workflow_id, scheme, stored, secret,
                            paused, mode, timeout, enabled, vid)  # fmt: skip
    cache.put(config)
    return config


def _verified(config: EndpointConfig, request: RawRequest) -> bool:
    if not config.scheme:
        return True
    if config.secret is None:
        return False
    return verify(config.scheme, config.secret, request.headers, request.body,
                  now=clock.now().timestamp(), method=request.method, uri=request.url)  # fmt: skip


def _usual(config: EndpointConfig | None, request: RawRequest) -> bool:
    """Signed as expected and not one for the general path: a set-up call, Asana, or
    anything with a sender id to deduplicate on."""
    if config is None or not _verified(config, request):
        return False  # unknown here, or maybe the secret changed: the general path decides
    if config.scheme.startswith("asana") or setup_call(config.scheme, request) is not None:
        return False
    return dedupe_key(config.scheme, request.headers, request.body) is None


@dataclass
class _Write:
    """One accepted event, ready to be stored by a single statement."""

    request: RawRequest
    config: EndpointConfig | None
    event_id: uuid.UUID = field(default_factory=uuid.uuid4)
    received: datetime = field(default_factory=clock.now)
    payload: dict[str, Any] = field(default_factory=dict)
    execution_id: uuid.UUID | None = None
    message: outbox.StoredMessage | None = None

    def prepare(self, config: EndpointConfig) -> group_commit.Write:
        """The event (and, unless held, the execution and its outbox row) for the store
        statement, which inserts nothing if the endpoint no longer has these settings."""
        self.config = config
        request = self.request
        event = rows.new_row(
            InboundEvent,
            id=self.event_id,
            tenant_id=config.tenant_id,
            endpoint_id=config.endpoint_id,
            workflow_id=config.workflow_id,
            received_at=self.received,
            method=request.method,
            query=request.query[:2000],
            headers=request.lowered,
            content_type=request.content_type[:200],
            body=request.body,
            verified=True if config.scheme else None,
        )
        entry: dict[str, Any] = {"execution": None, "message": None, **config.checks}
        if config.holds:
            event.update(status="held", note="Endpoint paused: kept until released.")
        else:
            execution = rows.new_row(Execution, **execution_values(
                config.tenant_id, config.workflow_id, config.version_id, self.payload,
                trigger_kind="webhook"))  # fmt: skip
            self.execution_id = event["execution_id"] = execution["id"]
            actor = dispatch_actor(execution["interactive"])
            message = rows.new_row(outbox.OutboxMessage, **outbox.message_values(
                actor, config.tenant_id, execution["id"], tenant_id=config.tenant_id))  # fmt: skip
            self.message = outbox.StoredMessage.of(message)
            entry["execution"] = rows.record(execution, _EXECUTION_TABLE)
            entry["message"] = rows.record(message, _OUTBOX_TABLE)
        entry["event"] = rows.record(event, _EVENT_TABLE)
        return group_commit.Write(str(self.event_id), entry, request.body, self.message)

    def reply(self, stored: bool) -> Reply | None:
        """The 202 once the rows are committed; None when the endpoint had changed."""
        config = self.config
        assert config is not None
        if not stored:
            cache.forget(config.token)  # the endpoint changed: decide afresh
            return None
        return accepted(self.event_id, self.execution_id, mode=config.mode,
                        tenant_id=config.tenant_id,
                        sync_timeout_seconds=config.sync_timeout_seconds)  # fmt: skip


def _begin(token: str, request: RawRequest) -> _Write | None:
    """The write for a cached endpoint (or one still to be loaded); None when the general
    path must decide (unusual request, signature not matching the cached secret, body that
    does not parse — the general path answers 400 after the endpoint and signature checks)."""
    config = cache.get(token)
    if config is not None and not _usual(config, request):
        return None
    write = _Write(request, config)
    try:
        write.payload = trigger_payload(request, str(write.event_id), write.received.isoformat())
    except UnreadableBody:
        return None
    return write


def warm_up() -> None:
    """Import what the first accepted webhook needs (the run actors and Dramatiq's Redis
    broker) now: about a second of imports that would otherwise stall the first requests."""
    from flowyard.workers.broker import BrokerNotConfigured

    with contextlib.suppress(BrokerNotConfigured):  # no REDIS_URL: the first webhook says so
        dispatch_actor(False)


async def try_accept(token: str, request: RawRequest) -> Reply | None:
    """Store and queue the event with one statement, or None to use the general path.

    Runs on the event loop: the statement goes over an async connection, shared with the
    other webhooks waiting at that moment (:mod:`.group_commit`); the committed message is
    handed to the batch sender (:mod:`.sender`), so the 202 never waits for Redis.
    """
    write = _begin(token, request)
    if write is None:
        return None
    config = write.config
    if config is None:
        async with aiodb.pool().cursor() as cursor:
            loaded = await (await cursor.execute(_LOAD, {"token": token})).fetchone()
        config = _config(token, loaded)
        if not _usual(config, request):
            return None
        assert config is not None
    stored = await group_commit.for_this_loop().store(write.prepare(config))
    return write.reply(stored)
