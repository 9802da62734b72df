"""The ``/hooks`` handler at the ASGI level (it is a plain ASGI callable, not a Starlette
request handler): methods, the answer's bytes and headers, and a sender that hangs up."""

from __future__ import annotations

import json
from typing import Any

import httpx
from webhooks_io.conftest import webhook_workflow

from support import aio


async def _close_pool() -> None:
    from flowyard.webhooks import aiodb

    await aiodb.pool().close()


def _events(tenant: Any) -> list[Any]:
    from sqlmodel import select

    from flowyard.db import tenant_session
    from flowyard.webhooks.models import InboundEvent

    with tenant_session(tenant) as db:
        return list(db.exec(select(InboundEvent)))


def test_post_and_put_are_accepted_other_methods_are_not(tenant, redis):
    from flowyard.api.hooks_routes import hooks_app

    _wf, endpoint = webhook_workflow(tenant)

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=hooks_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks.test") as client:
            url = f"/hooks/{endpoint.token}"
            answers = [await client.post(url, json={"n": 1}), await client.put(url, json={"n": 2}),
                       await client.get(url)]  # fmt: skip
        await _close_pool()
        return answers

    post, put, get = aio.run(send())
    for answer in (post, put):
        assert answer.status_code == 202
        assert answer.headers["content-type"] == "application/json"
        assert answer.content == json.dumps({"event_id": answer.json()["event_id"]},
                                            separators=(",", ":")).encode()  # fmt: skip
    assert get.status_code == 405
    assert sorted(e.method for e in _events(tenant)) == ["POST", "PUT"]


def test_a_sender_that_hangs_up_before_its_body_gets_no_answer_and_nothing_is_kept(tenant, redis):
    from flowyard.api.hooks_routes import hooks_app

    _wf, endpoint = webhook_workflow(tenant)
    path = f"/hooks/{endpoint.token}"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 80),
             "headers": [(b"content-type", b"application/json")]}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    aio.run(hooks_app()(scope, receive, send))
    assert sent == []
    assert _events(tenant) == []
