"""Webhooks arriving together share one statement (group commit), and still each get their own
answer: stored ones 202, one PostgreSQL refuses fails alone, one whose endpoint changed goes
to the general path, and a database that cannot be reached fails the batch (503)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlmodel import select
from webhooks_io.conftest import webhook_workflow

from support import aio


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    from flowyard.webhooks.fastpath import cache

    cache.forget()


def _raw(token: str, body: bytes) -> Any:
    from flowyard.webhooks.requests import RawRequest

    return RawRequest(method="POST", path=f"/hooks/{token}", query="",
                      headers={"content-type": "application/json"}, body=body,
                      url=f"http://127.0.0.1/hooks/{token}")  # fmt: skip


def _together(
    requests: list[tuple[str, bytes]], batches: list[int], meanwhile: Any = None
) -> list[Any]:
    """Receive ``requests`` on one event loop, all arriving before any is stored (each task
    runs up to its wait before the flusher does); ``batches`` gets each statement's size.

    First one ``{}`` webhook per endpoint is stored alone (it caches the endpoint and opens
    a connection); then ``meanwhile()`` runs, as another process's change would.
    """
    from flowyard.webhooks import aiodb, fastpath, group_commit, ingest

    insert = group_commit._insert

    async def counted(cursor: Any, batch: list[Any]) -> set[str]:
        batches.append(len(batch))
        return await insert(cursor, batch)

    async def scenario() -> list[Any]:
        for token in dict.fromkeys(token for token, _body in requests):
            await fastpath.try_accept(token, _raw(token, b"{}"))
        pool = aiodb.pool()
        if meanwhile is not None:
            meanwhile()
        group_commit._insert = counted
        try:
            tasks = [ingest.receive(token, _raw(token, body)) for token, body in requests]
            return await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            group_commit._insert = insert
            await pool.close()

    return aio.run(scenario())


def _stored(tenant: Any) -> list[Any]:
    from flowyard.db import tenant_session
    from flowyard.webhooks.models import InboundEvent

    with tenant_session(tenant) as db:
        return list(db.exec(select(InboundEvent)))


def test_webhooks_arriving_together_are_stored_by_one_statement(tenant, redis):
    from flowyard.webhooks import sender
    from flowyard.workers import outbox

    _wf, endpoint = webhook_workflow(tenant)
    batches: list[int] = []
    bodies = [json.dumps({"n": n}).encode() for n in range(6)]
    answers = _together([(endpoint.token, body) for body in bodies], batches)
    assert batches == [6]
    assert [a.status for a in answers] == [202] * 6
    ids = {a.body["event_id"] for a in answers}
    assert ids <= {str(e.id) for e in _stored(tenant)} and len(ids) == 6
    assert sender.sender.flush()
    outbox.reaper.flush()
    from flowyard.db import get_engine

    with get_engine().connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM outbox_message")).scalar_one()
        runs = conn.execute(text("SELECT count(*) FROM execution")).scalar_one()
    assert (left, runs) == (0, 7)  # every message sent; one more run from the warm-up


def test_a_webhook_postgresql_refuses_fails_alone(tenant, redis):
    _wf, endpoint = webhook_workflow(tenant)
    batches: list[int] = []
    bad = b'{"n": "\\u0000"}'  # valid JSON, but jsonb cannot hold a NUL character
    requests = [(endpoint.token, b'{"n": 1}'), (endpoint.token, bad), (endpoint.token, b"{}")]
    good, refused, other = _together(requests, batches)
    assert isinstance(refused, psycopg.DataError)
    assert good.status == other.status == 202
    assert batches[0] == 3 and sorted(batches[1:]) == [1, 1, 1]  # then each one alone
    stored = {str(e.id) for e in _stored(tenant)}
    assert {good.body["event_id"], other.body["event_id"]} <= stored


def test_a_write_whose_endpoint_changed_takes_the_general_path(tenant, redis):
    from flowyard.db import get_engine

    _wf, paused = webhook_workflow(tenant, "Paused later")
    _wf2, steady = webhook_workflow(tenant, "Steady")
    batches: list[int] = []

    def pause_elsewhere() -> None:  # this process's cache still has it running
        with get_engine().begin() as conn:
            conn.execute(text("UPDATE webhook_endpoint SET paused = true WHERE id = :id"),
                         {"id": paused.id})  # fmt: skip

    held, started = _together([(paused.token, b"{}"), (steady.token, b"{}")], batches,
                              pause_elsewhere)  # fmt: skip
    assert batches == [2] and held.status == started.status == 202
    statuses = {str(e.id): e.status for e in _stored(tenant)}
    assert statuses[held.body["event_id"]] == "held"  # decided afresh by the general path
    assert statuses[started.body["event_id"]] == "started"


def test_an_unreachable_database_fails_the_whole_batch(tenant, redis, monkeypatch):
    from flowyard.webhooks import aiodb

    _wf, endpoint = webhook_workflow(tenant)
    dead = aiodb.AsyncPool("postgresql://postgres@127.0.0.1:1/nothing")
    answers = _together([(endpoint.token, b"{}"), (endpoint.token, b"{}")], [],
                        lambda: monkeypatch.setattr(aiodb, "pool", lambda: dead))  # fmt: skip
    assert len(answers) == 2
    assert all(isinstance(a, psycopg.OperationalError) for a in answers)
