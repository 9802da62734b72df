"""The ingress tells the workers when webhooks queue for the database (the Redis key the
worker's ``IngressFirst`` middleware watches), and says nothing when they do not."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import redis as redis_lib
from webhooks_io.conftest import webhook_workflow

from support import aio


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    from flowyard.webhooks.fastpath import cache
    from flowyard.webhooks.pressure import pressure

    cache.forget()
    pressure.noted = pressure.published = 0.0


def _raw(token: str, body: bytes) -> Any:
    from flowyard.webhooks.requests import RawRequest

    return RawRequest(method="POST", path=f"/hooks/{token}", query="",
                      headers={"content-type": "application/json"}, body=body,
                      url=f"http://127.0.0.1/hooks/{token}")  # fmt: skip


def _receive(token: str, bodies: list[bytes]) -> list[Any]:
    """One webhook alone (caches the endpoint), then ``bodies`` arriving together."""
    from flowyard.webhooks import aiodb, ingest

    async def scenario() -> list[Any]:
        first = await ingest.receive(token, _raw(token, b"{}"))
        try:
            together = [ingest.receive(token, _raw(token, body)) for body in bodies]
            return [first, *await asyncio.gather(*together)]
        finally:
            await aiodb.pool().close()

    return aio.run(scenario())


def _signal(redis_url: str) -> int:
    """Milliseconds the workers' signal has left (-2: not set)."""
    from flowyard.settings import get_settings
    from flowyard.webhooks import sender
    from flowyard.workers.ingress_first import busy_key

    assert sender.sender.flush()  # the sender's thread sets the key after sending a batch
    client = redis_lib.Redis.from_url(redis_url)
    return int(client.pttl(busy_key(get_settings().broker_namespace)))


def test_webhooks_queuing_for_the_database_signal_the_workers(tenant, redis):
    from flowyard.workers.ingress_first import HOLD_MS

    _wf, endpoint = webhook_workflow(tenant)
    bodies = [json.dumps({"n": n}).encode() for n in range(8)]
    answers = _receive(endpoint.token, bodies)
    assert [a.status for a in answers] == [202] * 9
    assert 0 < _signal(redis) <= HOLD_MS


def test_webhooks_one_at_a_time_say_nothing(tenant, redis):
    _wf, endpoint = webhook_workflow(tenant)
    for n in range(3):
        assert _receive(endpoint.token, [])[0].status == 202, n
    assert _signal(redis) == -2
