"""Trigger tests run real Dramatiq workers too."""

from __future__ import annotations

from collections.abc import Iterator

import dramatiq
import pytest

from support.workers import running_worker


@pytest.fixture
def worker(db: str, redis: str) -> Iterator[dramatiq.Worker]:
    with running_worker() as running:
        yield running
