"""Real in-process Dramatiq workers for tests.

Two traps avoided here: every actor module is imported *before* a worker starts (a worker
only consumes queues declared by then), and a stopped worker's hook is removed from the
broker (Dramatiq leaves it registered, so a stopped worker would keep adding consumers for
queues declared later and swallow their messages).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dramatiq


def declare_all_actors() -> dramatiq.Broker:
    from flowyard.workers import engine_actors, health, maintenance  # noqa: F401
    from flowyard.workers.broker import ensure_broker

    return ensure_broker()


@contextmanager
def running_worker(threads: int = 8, *, flush: bool = True) -> Iterator[dramatiq.Worker]:
    broker = declare_all_actors()
    if flush:
        for queue in list(broker.queues):
            broker.flush(queue)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop(timeout=10_000)
        broker.middleware[:] = [
            m for m in broker.middleware if getattr(m, "worker", None) is not worker
        ]
