"""The ingress fast path (cached endpoint, one statement): it stores exactly what the general
path stores, and a stale cache never accepts what the database would refuse — the endpoint
may be changed by another process, which cannot clear this process's cache."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import select
from webhooks_io.conftest import set_verification, webhook_workflow
from webhooks_io.signers import SECRET, stripe

from support import aio


def _raw(token: str, body: bytes = b'{"n": 1}', headers: dict[str, str] | None = None) -> Any:
    from flowyard.webhooks.requests import RawRequest

    headers = {"content-type": "application/json", **(headers or {})}
    return RawRequest(method="POST", path=f"/hooks/{token}", query="a=1", headers=headers,
                      body=body, url=f"http://127.0.0.1/hooks/{token}?a=1")  # fmt: skip


def _accept(token: str, **kwargs: Any) -> Any:
    """What the route does: the fast path on an event loop, else the general path."""
    from flowyard.webhooks import aiodb, ingest

    async def receive() -> Any:
        try:
            return await ingest.receive(token, _raw(token, **kwargs))
        finally:
            await aiodb.pool().close()

    return aio.run(receive())


def _sql(statement: str, **params: Any) -> None:
    """A change made behind the ingress's back (as another process would make it)."""
    from flowyard.db import get_engine

    with get_engine().begin() as conn:
        conn.execute(text(statement), params)


def _rows(tenant: uuid.UUID) -> tuple[list[Any], list[Any], list[Any]]:
    from flowyard.db import tenant_session
    from flowyard.engine.models import Execution
    from flowyard.webhooks.models import InboundEvent
    from flowyard.workers.outbox import OutboxMessage

    with tenant_session(tenant) as db:
        events = list(db.exec(select(InboundEvent).order_by(InboundEvent.received_at)))
        runs = list(db.exec(select(Execution).order_by(Execution.created_at)))
        messages = list(db.exec(select(OutboxMessage).order_by(OutboxMessage.created_at)))
    return events, runs, messages


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    from flowyard.webhooks.fastpath import cache

    cache.forget()


def test_fast_path_stores_what_the_general_path_stores(tenant, redis):
    from flowyard.webhooks import fastpath, ingest, sender
    from flowyard.workers import outbox

    _wf, endpoint = webhook_workflow(tenant)
    fast = _accept(endpoint.token)
    assert fast.status == 202 and fastpath.cache.get(endpoint.token) is not None
    general = ingest.accept(endpoint.token, _raw(endpoint.token))
    assert general.status == 202
    assert sender.sender.flush()
    outbox.reaper.flush()
    events, runs, messages = _rows(tenant)
    assert [str(e.id) for e in events] == [fast.body["event_id"], general.body["event_id"]]
    skip = {"id", "received_at", "created_at", "execution_id", "trigger_payload", "args"}

    def same(a: Any, b: Any) -> None:
        columns = [c.name for c in type(a).__table__.columns if c.name not in skip]
        assert {c: getattr(a, c) for c in columns} == {c: getattr(b, c) for c in columns}

    same(events[0], events[1])
    same(runs[0], runs[1])
    assert [e.execution_id for e in events] == [r.id for r in runs]
    for event, run in zip(events, runs, strict=True):
        assert run.trigger_payload["webhook"]["event_id"] == str(event.id)
        assert run.trigger_payload["body"] == {"n": 1}
        assert run.trigger_payload["query"] == {"a": "1"}
    # Both messages were sent and their rows cleared (the fast path's by the reaper).
    assert messages == []
    # NULLs as the ORM stores them (JSON null in JSON columns, SQL NULL elsewhere).
    from flowyard.db import get_engine

    with get_engine().connect() as conn:
        nulls = conn.execute(text(
            "SELECT DISTINCT result IS NULL, error IS NULL, trigger_key IS NULL, "
            "jsonb_typeof(trigger_payload) FROM execution WHERE tenant_id = :t"), {"t": tenant}
        ).all()  # fmt: skip
    assert nulls == [(False, False, True, "object")]


def test_regenerated_token_is_refused_at_once_even_with_a_stale_cache(tenant, redis):
    from flowyard.webhooks import ingest
    from flowyard.webhooks.fastpath import cache

    _wf, endpoint = webhook_workflow(tenant)
    assert _accept(endpoint.token).status == 202
    assert cache.get(endpoint.token) is not None
    _sql("UPDATE webhook_endpoint SET token = :t WHERE id = :id", t="n" * 43, id=endpoint.id)
    assert _accept(endpoint.token) == ingest.NOT_FOUND
    assert cache.get(endpoint.token) is None
    assert _accept("n" * 43).status == 202
    events, runs, _ = _rows(tenant)
    assert len(events) == len(runs) == 2


def test_regenerate_token_forgets_the_cached_endpoint(tenant, redis):
    from flowyard.db import tenant_session
    from flowyard.webhooks import endpoints, ingest
    from flowyard.webhooks.fastpath import cache
    from flowyard.webhooks.models import InboundEndpoint

    _wf, endpoint = webhook_workflow(tenant)
    assert _accept(endpoint.token).status == 202
    with tenant_session(tenant) as db:
        fresh = endpoints.regenerate_token(db, db.get(InboundEndpoint, endpoint.id))
    assert cache.get(endpoint.token) is None
    assert _accept(endpoint.token) == ingest.NOT_FOUND
    assert _accept(fresh.token).status == 202


def test_pause_elsewhere_holds_the_next_event(tenant, redis):
    _wf, endpoint = webhook_workflow(tenant)
    assert _accept(endpoint.token).status == 202
    _sql("UPDATE webhook_endpoint SET paused = true WHERE id = :id", id=endpoint.id)
    assert _accept(endpoint.token).status == 202
    events, runs, _ = _rows(tenant)
    assert [e.status for e in events] == ["started", "held"]
    assert len(runs) == 1 and events[1].execution_id is None
    _sql("UPDATE webhook_endpoint SET paused = false WHERE id = :id", id=endpoint.id)
    assert _accept(endpoint.token).status == 202
    assert len(_rows(tenant)[1]) == 2


def test_disabled_workflow_elsewhere_holds_the_next_event(tenant, redis):
    workflow, endpoint = webhook_workflow(tenant)
    assert _accept(endpoint.token).status == 202
    _sql("UPDATE workflow SET enabled = false WHERE id = :id", id=workflow.id)
    assert _accept(endpoint.token).status == 202
    assert [e.status for e in _rows(tenant)[0]] == ["started", "held"]


def test_new_secret_elsewhere_refuses_the_old_signature(tenant, redis):
    from flowyard.security import vault
    from flowyard.webhooks import endpoints

    _wf, endpoint = webhook_workflow(tenant)
    endpoint = set_verification(tenant, endpoint, "stripe", SECRET)
    body = json.dumps({"n": 1}).encode()
    assert (
        _accept(endpoint.token, body=body, headers=stripe(body, int(time.time()), "")).status == 202
    )
    new = vault.encrypt("whsec_new", context=endpoints.secret_context(endpoint))
    _sql("UPDATE webhook_endpoint SET secret = :s WHERE id = :id", s=new, id=endpoint.id)
    old_signature = stripe(body, int(time.time()), "")
    assert _accept(endpoint.token, body=body, headers=old_signature).status == 401
    events, runs, _ = _rows(tenant)
    assert [e.status for e in events] == ["started", "rejected"] and len(runs) == 1


def test_scheme_added_elsewhere_refuses_unsigned_requests(tenant, redis):
    _wf, endpoint = webhook_workflow(tenant)
    assert _accept(endpoint.token).status == 202
    set_verification(tenant, endpoint, "stripe", SECRET)  # same process, but say it was not
    from flowyard.webhooks.fastpath import EndpointConfig, cache

    version = _rows(tenant)[1][0].version_id
    stale = EndpointConfig(endpoint.token, endpoint.id, tenant, endpoint.workflow_id, "", None,
                           None, False, "async", 10, True, version)  # fmt: skip
    cache.put(stale)
    assert _accept(endpoint.token).status == 401


def test_sender_ids_still_dedupe(tenant, redis):
    _wf, endpoint = webhook_workflow(tenant)
    answers = [_accept(endpoint.token, headers={"webhook-id": "msg_1"}) for _ in range(3)]
    assert len({a.body["event_id"] for a in answers}) == 1
    assert [e.status for e in _rows(tenant)[0]] == ["started", "duplicate", "duplicate"]


def test_idle_pooled_connection_killed_by_the_server_is_replaced(db, monkeypatch):
    """No pre-ping on every checkout: a connection idle past the threshold is checked."""
    from flowyard.db import engine as engine_module
    from flowyard.db import get_engine, reset_engine

    reset_engine()
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.2)
    engine = get_engine()
    with engine.connect() as conn:
        victim = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    other = create_engine(engine.url, poolclass=NullPool)
    with other.begin() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    other.dispose()
    time.sleep(0.3)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != victim
    reset_engine()
