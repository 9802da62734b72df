"""The ingress's plumbing below the route: the batch sender (messages reach Redis exactly as
``actor.send`` puts them; a batch that fails leaves its rows for the relay) and the event
loop's connection pool (a connection the server dropped is replaced; one that failed in use
is never reused)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import dramatiq
import psycopg
import pytest

from support import aio


def _rows(count: int) -> list[Any]:
    from flowyard.engine.executions import dispatch_actor
    from flowyard.workers.outbox import StoredMessage

    name = dispatch_actor(False).actor_name
    return [StoredMessage(uuid.uuid4(), name, [str(uuid.uuid4()), str(uuid.uuid4())], {})
            for _ in range(count)]  # fmt: skip


def _queued(broker: Any, queue_name: str) -> list[dramatiq.Message[Any]]:
    raw = broker.client.hvals(f"{broker.namespace}:{queue_name}.msgs")
    return [dramatiq.Message.decode(data) for data in raw]


def _shape(message: dramatiq.Message[Any]) -> dict[str, Any]:
    """What every message to this actor has in common (ids, time and arguments vary)."""
    varying = ("message_id", "message_timestamp", "args", "options")
    return {k: v for k, v in message.asdict().items() if k not in varying}


def test_batched_messages_are_what_actor_send_enqueues(redis, monkeypatch):
    from flowyard.engine.executions import dispatch_actor
    from flowyard.webhooks import sender as sender_module
    from flowyard.workers import outbox

    actor = dispatch_actor(False)
    broker = actor.broker
    reaped: list[uuid.UUID] = []
    monkeypatch.setattr(outbox.reaper, "add", reaped.append)
    batches: list[int] = []
    execute = sender_module._PipelinedBroker.execute

    def counted(self: Any) -> None:
        batches.append(len(self.pipe.command_stack))
        execute(self)

    monkeypatch.setattr(sender_module._PipelinedBroker, "execute", counted)
    sender = sender_module.BatchSender()
    first, rest = _rows(1), _rows(5)
    sender.put(first[0])  # the process's first send goes alone, through its own broker
    assert sender.flush()
    for row in rest:
        sender.put(row)
    assert sender.flush()
    assert batches == [5]  # the other five went as one pipeline
    assert reaped == [row.id for row in first + rest]
    actor.send_with_options(args=("reference", "message"))
    queued = {tuple(m.args): m for m in _queued(broker, actor.queue_name)}
    assert set(queued) == {tuple(r.args) for r in first + rest} | {("reference", "message")}
    reference = queued.pop(("reference", "message"))
    for message in queued.values():
        assert _shape(message) == _shape(reference)
        assert set(message.options) == set(reference.options) == {"redis_message_id"}


def test_a_batch_that_fails_leaves_its_rows_for_the_relay(redis, monkeypatch, caplog):
    from flowyard.webhooks import sender as sender_module
    from flowyard.workers import outbox

    reaped: list[uuid.UUID] = []
    monkeypatch.setattr(outbox.reaper, "add", reaped.append)
    sender = sender_module.BatchSender()
    sender.put(_rows(1)[0])
    assert sender.flush() and len(reaped) == 1

    def redis_down(self: Any) -> None:
        self.pipe.reset()
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(sender_module._PipelinedBroker, "execute", redis_down)
    monkeypatch.setattr(outbox, "send_now", lambda row: False)  # a batch of one, likewise
    caplog.set_level(logging.WARNING, logger="flowyard.webhooks.sender")
    for row in _rows(4):
        sender.put(row)
    assert sender.flush()
    assert len(reaped) == 1  # nothing deleted: the relay sends these rows later
    monkeypatch.undo()
    monkeypatch.setattr(outbox.reaper, "add", reaped.append)
    later = _rows(3)
    for row in later:
        sender.put(row)
    assert sender.flush()  # the thread survived and sends again
    assert reaped[1:] == [row.id for row in later]


def _conninfo(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


async def _backend_pid(pool: Any) -> int:
    async with pool.cursor() as cursor:
        row = await (await cursor.execute("SELECT pg_backend_pid()")).fetchone()
        return int(row[0])


def _pids_around(database_url: str, between: Callable[[Any, int], Awaitable[None]]) -> list[int]:
    """The backend a fresh pool serves, then the one it serves after ``between(pool, pid)``."""
    from flowyard.webhooks.aiodb import AsyncPool

    async def scenario() -> list[int]:
        pool = AsyncPool(_conninfo(database_url))
        try:
            first = await _backend_pid(pool)
            await between(pool, first)
            return [first, await _backend_pid(pool)]
        finally:
            await pool.close()

    return aio.run(scenario())


def test_pool_replaces_a_connection_the_server_dropped(db, monkeypatch):
    from flowyard.db import engine as db_engine

    monkeypatch.setattr(db_engine, "IDLE_PING_SECONDS", 0.2)

    async def server_drops_it(_pool: Any, pid: int) -> None:
        with psycopg.connect(_conninfo(db), autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])
        await asyncio.sleep(0.3)

    victim, replacement = _pids_around(db, server_drops_it)
    assert replacement != victim


def test_pool_never_reuses_a_connection_that_failed(db):
    async def statement_fails(pool: Any, _pid: int) -> None:
        with pytest.raises(psycopg.errors.DivisionByZero):
            async with pool.cursor() as cursor:
                await cursor.execute("SELECT 1 / 0")

    first, after = _pids_around(db, statement_fails)
    assert after != first
