"""Engine tests run real Dramatiq workers (in-process, threads) on real Redis and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator

import dramatiq
import pytest

from support.http_target import HttpTarget
from support.workers import running_worker


@pytest.fixture
def worker(db: str, redis: str) -> Iterator[dramatiq.Worker]:
    """A real Dramatiq worker (8 threads) on the test Redis."""
    with running_worker() as running:
        yield running


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
