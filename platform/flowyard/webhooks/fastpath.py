"""The ingress's fast path: a cached endpoint and one SQL statement per accepted webhook.

Why: the general path (:mod:`flowyard.webhooks.ingest`) looks the token up and writes the
event, the execution and the outbox row through the ORM — about a dozen round trips and
several milliseconds of CPU per request. Here the common case costs one round trip:

* the endpoint's settings come from an in-process cache (:class:`EndpointCache`);
* one ``INSERT … SELECT`` statement with data-modifying CTEs writes the event, the queued
  execution and its outbox message. A single statement in autocommit mode is one
  transaction, so the three rows are committed together before the 202, as before;
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

import enum
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, LargeBinary, Table
from sqlmodel import SQLModel

from flowyard import clock
from flowyard.db import get_engine
from flowyard.engine.executions import dispatch_actor, execution_values
from flowyard.engine.models import Execution
from flowyard.security import vault
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

# The endpoint still has the settings this request was checked against (see module doc).
_UNCHANGED = """
SELECT 1 FROM webhook_endpoint e JOIN workflow w ON w.id = e.workflow_id
WHERE e.id = %(c_endpoint_id)s AND e.token = %(c_token)s AND e.tenant_id = %(c_tenant_id)s
  AND e.workflow_id = %(c_workflow_id)s AND e.scheme = %(c_scheme)s
  AND e.secret IS NOT DISTINCT FROM %(c_secret)s::varchar AND e.paused = %(c_paused)s
  AND e.mode = %(c_mode)s AND e.sync_timeout_seconds = %(c_sync_timeout)s
  AND w.trigger_kind = 'webhook' AND w.enabled = %(c_enabled)s
  AND w.published_version_id = %(c_version_id)s
"""


def _insert_from(table: Table, name: str, source: str) -> str:
    """``INSERT INTO table (columns) SELECT … FROM source`` with the row in one JSON parameter.

    Why JSON: one parameter per column (60 in all) made psycopg re-parse the statement on
    every call (it caches statements of at most 50 parameters) and adapt each value in
    Python; ``jsonb_populate_record`` types the values in PostgreSQL instead. Binary columns
    (the raw body) get their own parameter. Built from the model's table, so a new column
    cannot be forgotten here.
    """
    names, values = [], []
    for column in table.columns:
        names.append(f'"{column.name}"')
        if isinstance(column.type, LargeBinary):
            values.append(f"%({name}_{column.name})s::bytea")
        elif isinstance(column.type, JSON):  # the ORM stores None as JSON null here
            values.append(f"COALESCE(r.\"{column.name}\", 'null'::jsonb)")
        else:
            values.append(f'r."{column.name}"')
    record = f"jsonb_populate_record(NULL::{table.name}, %({name})s::jsonb) r"
    return (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM {source}, {record}"
    )


_EVENT_TABLE: Table = InboundEvent.__table__  # type: ignore[attr-defined]
_EXECUTION_TABLE: Table = Execution.__table__  # type: ignore[attr-defined]
_OUTBOX_TABLE: Table = outbox.OutboxMessage.__table__  # type: ignore[attr-defined]

STORE_STARTED = (
    f"WITH ok AS ({_UNCHANGED}),\n"
    f"ex AS ({_insert_from(_EXECUTION_TABLE, 'execution', 'ok')} RETURNING 1),\n"
    f"ob AS ({_insert_from(_OUTBOX_TABLE, 'message', 'ex')} RETURNING 1)\n"
    f"{_insert_from(_EVENT_TABLE, 'event', 'ok')} RETURNING id"
)
STORE_HELD = f"WITH ok AS ({_UNCHANGED})\n{_insert_from(_EVENT_TABLE, 'event', 'ok')} RETURNING id"


def _row(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """A new row of ``model`` as plain values: the model's own defaults, then ``values``.

    Why not ``model(**values)``: building ORM instances (attribute instrumentation) was
    about a tenth of the ingress's CPU; the defaults come from the same field definitions.
    """
    fields = model.model_fields
    row = {
        n: f.get_default(call_default_factory=True) for n, f in fields.items() if n not in values
    }
    row.update(values)
    return row


def _params(row: dict[str, Any], table: Table, name: str) -> dict[str, Any]:
    """The row as one JSON record (None left out) plus its binary columns."""
    record: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for column in table.columns:
        value = row[column.key]
        if isinstance(column.type, LargeBinary):
            params[f"{name}_{column.name}"] = value
        elif value is None:
            continue
        elif isinstance(value, uuid.UUID | enum.Enum):
            record[column.name] = str(value.value if isinstance(value, enum.Enum) else value)
        elif isinstance(value, datetime):
            record[column.name] = value.isoformat()
        else:
            record[column.name] = value
    params[name] = Jsonb(record)
    return params


def _unchanged_params(config: EndpointConfig) -> dict[str, Any]:
    return {
        "c_endpoint_id": config.endpoint_id,
        "c_token": config.token,
        "c_tenant_id": config.tenant_id,
        "c_workflow_id": config.workflow_id,
        "c_scheme": config.scheme,
        "c_secret": config.stored_secret,
        "c_paused": config.paused,
        "c_mode": config.mode,
        "c_sync_timeout": config.sync_timeout_seconds,
        "c_enabled": config.enabled,
        "c_version_id": config.version_id,
    }


@contextmanager
def _autocommit_cursor() -> Iterator[psycopg.Cursor[Any]]:
    """A pooled connection in autocommit mode: each statement is its own transaction."""
    fairy = get_engine().raw_connection()
    conn: psycopg.Connection[Any] = fairy.driver_connection  # type: ignore[assignment]
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            yield cursor
        conn.autocommit = False
    except BaseException:
        fairy.invalidate()  # unknown state: never hand it back to the pool
        raise
    finally:
        fairy.close()


def _load(cursor: psycopg.Cursor[Any], token: str) -> EndpointConfig | None:
    row = cursor.execute(_LOAD, {"token": token}).fetchone()
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


def _unusual(config: EndpointConfig, request: RawRequest) -> bool:
    """Requests the general path must see: set-up calls and anything with a sender id."""
    if config.scheme.startswith("asana"):
        return True
    if setup_call(config.scheme, request) is not None:
        return True
    return dedupe_key(config.scheme, request.headers, request.body) is not None


def try_accept(token: str, request: RawRequest) -> Reply | None:
    """Store and queue the event in one statement, or None to use the general path."""
    config = cache.get(token)
    if config is not None and not _verified(config, request):
        return None  # maybe the secret changed: the general path reads it afresh
    if config is not None and _unusual(config, request):
        return None
    try:
        event_id, received = uuid.uuid4(), clock.now()
        payload = trigger_payload(request, str(event_id), received.isoformat())
    except UnreadableBody:
        return None  # the general path answers 400 after the endpoint and signature checks
    with _autocommit_cursor() as cursor:
        if config is None:
            config = _load(cursor, token)
            if config is None or not _verified(config, request) or _unusual(config, request):
                return None
        stored = _store(cursor, config, request, event_id, received, payload)
    if stored is None:
        return None
    execution_id, message = stored
    if message is not None:
        outbox.send_now(message)  # committed: send it now (if Redis is down, the relay will)
    return accepted(event_id, execution_id, mode=config.mode, tenant_id=config.tenant_id,
                    sync_timeout_seconds=config.sync_timeout_seconds)  # fmt: skip


def _store(
    cursor: psycopg.Cursor[Any],
    config: EndpointConfig,
    request: RawRequest,
    event_id: uuid.UUID,
    received: Any,
    payload: dict[str, Any],
) -> tuple[uuid.UUID | None, outbox.OutboxMessage | None] | None:
    """Write the event (and, unless held, the execution and its outbox row) in one statement;
    returns (execution id, message to send) or None when the endpoint has changed."""
    event = _row(
        InboundEvent,
        id=event_id,
        tenant_id=config.tenant_id,
        endpoint_id=config.endpoint_id,
        workflow_id=config.workflow_id,
        received_at=received,
        method=request.method,
        query=request.query[:2000],
        headers=request.lowered,
        content_type=request.content_type[:200],
        body=request.body,
        verified=True if config.scheme else None,
    )
    message = None
    if config.holds:
        event.update(status="held", note="Endpoint paused: kept until released.")
        statement, params = STORE_HELD, {}
    else:
        execution = _row(Execution, **execution_values(
            config.tenant_id, config.workflow_id, config.version_id, payload,
            trigger_kind="webhook"))  # fmt: skip
        event["execution_id"] = execution["id"]
        message = outbox.message(dispatch_actor(execution["interactive"]), str(config.tenant_id),
                                 str(execution["id"]), tenant_id=config.tenant_id)  # fmt: skip
        statement = STORE_STARTED
        params = {**_params(execution, _EXECUTION_TABLE, "execution"),
                  **_params(message.model_dump(), _OUTBOX_TABLE, "message")}  # fmt: skip
    params.update(_params(event, _EVENT_TABLE, "event"), **_unchanged_params(config))
    if cursor.execute(statement, params).fetchone() is None:
        cache.forget(config.token)  # the endpoint changed: decide afresh
        return None
    return event["execution_id"], message
