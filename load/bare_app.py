"""The baseline: an endpoint that only parses JSON and enqueues a Dramatiq message (no DB)."""

from __future__ import annotations

import json

import dramatiq
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowyard.workers.broker import ensure_broker

ensure_broker()


@dramatiq.actor(queue_name="bare-baseline")
def bare_event(payload: dict) -> None:
    """Never consumed during the run; the queue is flushed afterwards."""


async def receive(request: Request) -> JSONResponse:
    payload = json.loads(await request.body())
    message = bare_event.send(payload)
    return JSONResponse({"event_id": message.message_id}, status_code=202)


app = Starlette(routes=[Route("/bare", receive, methods=["POST"])])
