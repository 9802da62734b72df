"""Real in-process Dramatiq workers for tests.

Two traps avoided here: every actor module is imported *before* a worker starts (a worker
only consumes queues declared by then), and a stopped worker's hook is removed from the
broker (Dramatiq leaves it registered, so a stopped worker would keep adding consumers for
queues declared later and swallow their messages).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import dramatiq


def declare_all_actors() -> dramatiq.Broker:
    from flowyard.workers import engine_actors, health, maintenance  # noqa: F401
    from flowyard.workers.broker import ensure_broker

    return ensure_broker()


@contextmanager
def running_worker(threads: int = 8, *, flush: bool = True) -> Iterator[dramatiq.Worker]:
    """A worker plus what the scheduler process does for it in production: the outbox relay
    and the sweeper that resumes stuck runs and re-sends late wake-ups (schedules excluded,
    so tests that fire them by hand stay in control)."""
    broker = declare_all_actors()
    if flush:
        for queue in list(broker.queues):
            broker.flush(queue)
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=50)
    worker.start()
    stop = threading.Event()
    ticker = threading.Thread(target=_tick, args=(stop,), name="test-scheduler", daemon=True)
    ticker.start()
    try:
        yield worker
    finally:
        stop.set()
        ticker.join(timeout=10)
        worker.stop(timeout=10_000)
        broker.middleware[:] = [
            m for m in broker.middleware if getattr(m, "worker", None) is not worker
        ]


def _tick(stop: threading.Event) -> None:
    from flowyard.db import system_session
    from flowyard.engine import sweeper
    from flowyard.workers import outbox

    while not stop.wait(0.5):
        try:
            outbox.relay_pending()
            with system_session() as db:
                sweeper.sweep(db)
        except Exception:  # the database of a finished test may be gone: try again
            continue
