"""CPU per webhook in the ingress process, with no HTTP server or load generator around it.

Why: under Locust the ingress, PostgreSQL, Redis, the worker and Locust itself share the
cores, so a change to the route is hard to see in requests/s alone. This drives the ASGI
apps (``/hooks/{token}`` and the bare baseline) in-process, ``--concurrency`` requests at a
time on one event loop, and prints the CPU this process spent per request — the figure the
route's code controls. Run it alone (it starts a scratch database and its own Redis)::

    python -m load.ingress_cpu --requests 3000 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from load.ingest_runner import free_port, scratch_database, setup_workflow

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def _scope(path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"ingress-cpu"),
               (b"content-type", b"application/json"), (b"accept", b"*/*"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": "POST", "scheme": "http", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000), "state": {}}  # fmt: skip


async def _call(app: ASGIApp, path: str, n: int) -> int:
    body = json.dumps({"order_id": n, "total": 12.5, "customer": {"name": "Rosa", "n": n}})
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)  # a client that stays connected
        sent = True
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(path, body.encode()), receive, send)
    return status


async def drive(app: ASGIApp, path: str, requests: int, concurrency: int) -> dict[str, float]:
    """Send ``requests`` requests, ``concurrency`` at a time; CPU and wall time per request."""
    queue = iter(range(requests))
    statuses: dict[int, int] = {}

    async def sender() -> None:
        for n in queue:
            status = await _call(app, path, n)
            statuses[status] = statuses.get(status, 0) + 1

    before, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    after, wall = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter() - wall
    if set(statuses) != {202}:
        raise RuntimeError(f"unexpected answers: {statuses}")
    user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
    return {"cpu_ms": (user + system) / requests * 1000, "sys_ms": system / requests * 1000,
            "rps": requests / wall}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--apps", nargs="+", choices=["hooks", "bare"], default=["hooks", "bare"])
    args = parser.parse_args(argv)

    from flowyard.services.embedded import EmbeddedRedis

    workdir = Path(tempfile.mkdtemp(prefix="flowyard-ingress-cpu-"))
    redis_server = EmbeddedRedis(workdir / "redis", port=free_port())
    try:
        with scratch_database() as database_url:
            env = {"DATABASE_URL": database_url, "REDIS_URL": redis_server.start(),
                   "FLOWYARD_ENV": "test"}  # fmt: skip
            token = setup_workflow({**os.environ, **env})
            os.environ.update(env)
            from flowyard.api.hooks_routes import hooks_app
            from load.bare_app import app as bare

            hooks = hooks_app()
            apps = {"hooks": (hooks, f"/hooks/{token}"), "bare": (bare, "/bare")}
            for label in args.apps:
                app, path = apps[label]
                asyncio.run(drive(app, path, 200, args.concurrency))  # warm up
                for _ in range(args.rounds):
                    got = asyncio.run(drive(app, path, args.requests, args.concurrency))
                    print(f"{label:>5}: {got['cpu_ms']:.3f} ms CPU per request "
                          f"({got['sys_ms']:.3f} in the kernel), {got['rps']:.0f} req/s in one "
                          "process", flush=True)  # fmt: skip
    finally:
        redis_server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
