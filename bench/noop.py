"""The baseline actor: a Dramatiq message that does nothing, on our broker and middleware."""

from __future__ import annotations

import dramatiq

from flowyard.workers.broker import ensure_broker

ensure_broker()
QUEUE = "bench_noop"


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def noop(number: int) -> None:
    """Nothing: what a message costs with no work attached."""
