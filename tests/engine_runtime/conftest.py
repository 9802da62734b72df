"""Engine tests run real Dramatiq workers (in-process, threads) on real Redis and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import dramatiq
import pytest
from support.http_target import HttpTarget


@pytest.fixture
def worker(db: str, redis: str) -> Iterator[dramatiq.Worker]:
    from flowyard.workers import engine_actors  # noqa: F401  (declares the actors)
    from flowyard.workers.broker import ensure_broker

    broker = ensure_broker()
    for queue in list(broker.queues):
        broker.flush(queue)
    worker = dramatiq.Worker(broker, worker_threads=8, worker_timeout=50)
    worker.start()
    yield worker
    worker.stop(timeout=10_000)


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpTarget]:
    """A local HTTP server that the SSRF guard allows (by its exact port)."""
    from flowyard.settings import get_settings

    with HttpTarget() as server:
        port = server.url.rsplit(":", 1)[1]
        monkeypatch.setenv("FLOWYARD_HTTP_ALLOW", f"127.0.0.1:{port}")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()


@pytest.fixture
def tenant(db: str) -> object:
    from support.engine import make_tenant

    return make_tenant()


os.environ.setdefault("FLOWYARD_EXECUTION_LEASE_SECONDS", "30")
