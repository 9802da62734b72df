"""The ingress's committed messages, sent to Dramatiq in batches from one background thread.

Why: a message sent on its own costs a Redis round trip and redis-py's per-command work
(~0.3 ms of CPU), and sent from the event loop it stalls every request of the process while
Redis answers (1-2 ms when the cores are busy, measured under load). Here the event loop only
queues the message; a thread waits :data:`LINGER`, takes whatever has queued meanwhile and
sends it as one Redis pipeline (~0.1 ms of CPU per message in batches of five or more).

How the batch is built: a second Dramatiq ``RedisBroker`` whose Redis client is a pipeline
(Dramatiq's ``client`` parameter), with the namespace and middleware of the process's broker.
Its ``enqueue`` is Dramatiq's own, so each message is exactly what ``actor.send`` would
enqueue; the pipeline only holds the commands until ``execute`` sends them together.

Nothing is lost by sending a moment after the 202: every row given here is committed first.
If Redis is down the batch fails, is logged and its rows stay for the outbox relay; if the
process dies with messages still queued, the relay sends those too. Rows are deleted (by the
outbox's reaper) only after their batch reached Redis.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from redis.client import Pipeline

from flowyard.webhooks.pressure import pressure
from flowyard.workers import outbox
from flowyard.workers.broker import BrokerNotConfigured, ensure_broker

log = logging.getLogger(__name__)
MAX_BATCH = 500
LINGER = 0.005
"""Seconds the thread waits after the first message before sending, so that a batch gathers.
Measured at 100 busy senders: batches of ~3 without it, ~9 with 5 ms (~20 with 20 ms); the
ingress went from ~1.3 to ~0.85 ms of CPU per webhook, the whole machine from ~760 to ~1,100
webhooks/s (fewer Redis round trips, wake-ups and GIL hand-offs). A run starts 5 ms later."""


class _PipelinedBroker:
    """Enqueues messages into a Redis pipeline; :meth:`execute` sends them all at once."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker
        self.pipe: Pipeline = broker.client.pipeline(transaction=False)
        self.batching = RedisBroker(
            client=self.pipe,
            namespace=broker.namespace,
            middleware=list(broker.middleware),
            heartbeat_timeout=broker.heartbeat_timeout,
            dead_message_ttl=broker.dead_message_ttl,
        )

    def enqueue(self, row: outbox.Sendable) -> None:
        options = dict(row.options or {})
        delay = options.pop("delay", None)
        message = self.broker.get_actor(row.actor).message_with_options(
            args=tuple(row.args), **options
        )
        self.batching.enqueue(message, delay=delay)

    def execute(self) -> None:
        try:
            self.pipe.execute()
        finally:
            self.pipe.reset()


class BatchSender:
    """One background thread per process, sending what was given in order, in batches."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[outbox.Sendable] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._unsent = 0
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._pipelined: _PipelinedBroker | None = None
        self._warm = False

    def put(self, row: outbox.Sendable) -> None:
        """Have a committed row's message sent soon (never blocks)."""
        with self._done:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._start()
            self._unsent += 1
        self._queue.put(row)

    def _start(self) -> None:
        self._queue, self._unsent, self._pid = queue.SimpleQueue(), 0, os.getpid()
        self._pipelined, self._warm = None, False  # a forked child opens its own connections
        self._thread = threading.Thread(target=self._loop, name="hooks-sender", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            rows = [self._queue.get()]
            time.sleep(LINGER)  # let a batch gather
            while len(rows) < MAX_BATCH:
                try:
                    rows.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._send(rows)
            except Exception:  # never let the thread die; the relay sends what was not sent
                log.exception("hooks: sending %d messages failed", len(rows))
            finally:
                if pressure.due():
                    self._signal()
                with self._done:
                    self._unsent -= len(rows)
                    if not self._unsent:
                        self._done.notify_all()

    def _send(self, rows: list[outbox.Sendable]) -> None:
        if len(rows) == 1 or not self._warm or self._pipelined is None:
            # One message gains nothing from a pipeline. And the process's first send goes
            # through its own broker: Dramatiq reads Redis's Lua stack size on first use,
            # a read that must not be held back in a pipeline.
            for row in rows:
                if not outbox.send_now(row):
                    return  # Redis down: logged; the relay sends this one and the rest
                if not self._warm:
                    self._warm = True
                    broker = dramatiq.get_broker()
                    if isinstance(broker, RedisBroker):
                        self._pipelined = _PipelinedBroker(broker)
            return
        try:
            for row in rows:
                self._pipelined.enqueue(row)
            self._pipelined.execute()
        except Exception as error:  # Redis down: the relay sends these rows later
            log.warning("hooks: could not send %d messages now (%s); relay will", len(rows), error)
            return
        for row in rows:
            outbox.reaper.add(row.id)

    def _signal(self) -> None:
        """Tell the workers webhooks are queuing (:mod:`flowyard.webhooks.pressure`); never
        raises, as it runs before this thread's bookkeeping."""
        try:
            broker = ensure_broker()
        except (BrokerNotConfigured, ValueError):  # no Redis, or an unusable REDIS_URL
            return
        if isinstance(broker, RedisBroker):
            pressure.publish(broker.client)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every message given so far was sent (or failed to); False on timeout."""
        with self._done:
            if self._pid != os.getpid():
                return True
            return self._done.wait_for(lambda: not self._unsent, timeout)


sender = BatchSender()
atexit.register(sender.flush, 5.0)  # after the reaper's flush was registered: runs before it
