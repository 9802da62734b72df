"""While the ingress says webhooks are queuing, a real worker runs at most ``keep`` bulk runs at
once; other queues are never held, and everything runs once the signal expires."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import dramatiq
import redis as redis_lib
from dramatiq.brokers.redis import RedisBroker


class Concurrency:
    """How many messages of each queue ran at once, at most, and how many ran in all."""

    def __init__(self) -> None:
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.lock = threading.Lock()

    def run(self, queue: str, seconds: float) -> None:
        with self.lock:
            self.now[queue] = self.now.get(queue, 0) + 1
            self.most[queue] = max(self.most.get(queue, 0), self.now[queue])
        time.sleep(seconds)
        with self.lock:
            self.now[queue] -= 1
            self.done[queue] = self.done.get(queue, 0) + 1

    def wait_done(self, queue: str, count: int, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.done.get(queue, 0) >= count:
                return True
            time.sleep(0.02)
        return False


@contextmanager
def _worker(url: str, keep: int) -> Iterator[tuple[RedisBroker, Concurrency, str]]:
    """A broker of its own (own namespace) with the middleware, two actors, 4 worker threads."""
    from flowyard.workers.ingress_first import IngressFirst, busy_key

    namespace = f"ingress-first-{uuid.uuid4().hex[:8]}"
    key = busy_key(namespace)
    middleware = IngressFirst(key, keep=keep, queues=("bulk",))
    broker = RedisBroker(url=url, namespace=namespace, middleware=[middleware])
    seen = Concurrency()

    @dramatiq.actor(broker=broker, queue_name="bulk", actor_name="bulk_job")
    def bulk_job() -> None:
        seen.run("bulk", 0.15)

    @dramatiq.actor(broker=broker, queue_name="interactive", actor_name="interactive_job")
    def interactive_job() -> None:
        seen.run("interactive", 0.15)

    worker = dramatiq.Worker(broker, worker_threads=4, worker_timeout=50)
    worker.start()
    try:
        yield broker, seen, key
    finally:
        worker.stop(timeout=10_000)
        broker.close()


def _busy_until_done(client: redis_lib.Redis, key: str, seen: Concurrency, count: int) -> bool:
    """Keep the signal alive, as the ingress does during a burst, until ``count`` bulk ran."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        client.set(key, b"1", px=300)
        if seen.done.get("bulk", 0) >= count:
            return True
        time.sleep(0.05)
    return False


def _middleware(broker: RedisBroker):
    from flowyard.workers.ingress_first import IngressFirst

    return next(m for m in broker.middleware if isinstance(m, IngressFirst))


def _wait_busy(broker: RedisBroker, busy: bool) -> None:
    deadline = time.monotonic() + 5
    while _middleware(broker).busy is not busy:
        assert time.monotonic() < deadline, "the worker never read the signal"
        time.sleep(0.01)


def test_bulk_runs_make_way_while_webhooks_queue(redis: str) -> None:
    client = redis_lib.Redis.from_url(redis)
    with _worker(redis, keep=1) as (broker, seen, key):
        client.set(key, b"1", px=300)
        _wait_busy(broker, True)
        for _ in range(8):
            broker.get_actor("bulk_job").send()
            broker.get_actor("interactive_job").send()
        assert _busy_until_done(client, key, seen, 8)  # held back, but never stopped
        assert seen.most["bulk"] == 1
        assert seen.wait_done("interactive", 8)
        assert seen.most["interactive"] > 1  # "Run now" is never held back

        _wait_busy(broker, False)  # the signal expired: every thread takes bulk runs again
        for _ in range(8):
            broker.get_actor("bulk_job").send()
        assert seen.wait_done("bulk", 16)
        assert seen.most["bulk"] > 1


def test_keep_below_zero_never_holds_back(redis: str) -> None:
    client = redis_lib.Redis.from_url(redis)
    with _worker(redis, keep=-1) as (broker, seen, key):
        client.set(key, b"1", px=5_000)
        for _ in range(8):
            broker.get_actor("bulk_job").send()
        assert seen.wait_done("bulk", 8)
        assert seen.most["bulk"] > 1
        assert _middleware(broker).busy is False  # not even polled


def test_a_stopping_worker_is_not_kept_waiting(redis: str) -> None:
    """With ``keep`` 0 a bulk message waits for the signal to end, or for the worker to stop:
    then it is processed like any message in hand when a worker stops."""
    client = redis_lib.Redis.from_url(redis)
    with _worker(redis, keep=0) as (broker, seen, key):
        client.set(key, b"1", px=60_000)
        _wait_busy(broker, True)
        broker.get_actor("bulk_job").send()
        time.sleep(0.5)
        assert seen.done.get("bulk", 0) == 0  # held
    assert seen.done.get("bulk", 0) == 1  # released by the stop, long before the signal ends
    client.delete(key)
