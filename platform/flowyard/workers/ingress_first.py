"""Webhooks first: while the ingress reports webhooks queuing up, bulk runs make way.

Why: on one machine the web process (answering providers' webhooks) and the worker (running
what they trigger) share the cores. A provider waits for our answer — Shopify gives up after
5 s and drops a subscription that keeps failing — while a run can start a second later. The
worker already runs at a lower CPU priority (``flowyard worker``, nice 10), but its
PostgreSQL backends do not: each run's SQL competes with the ingress at full weight. So while
a burst arrives the worker runs fewer bulk executions at once (``keep``, 1 by default) and
its other threads wait; when the burst is over they all go on. "Run now" (the interactive
queue), platform events and system jobs are never held back.

How the two sides talk: the ingress sets a Redis key with a short expiry (:data:`HOLD_MS`)
whenever webhooks wait for the database (:mod:`flowyard.webhooks.pressure`), renewing it while
they do; each worker process polls that key every :data:`POLL_SECONDS` from one thread. Redis
unreachable means "not busy" (the worker never stalls on the signal).

Nothing is lost by holding: a held message is already delivered to this worker and stays
unacknowledged in Dramatiq's Redis broker until it is processed; a worker that dies while
holding it has it redelivered, as always. The hold comes before Dramatiq's time limit starts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

import dramatiq
from dramatiq.common import q_name
from dramatiq.middleware import Middleware

log = logging.getLogger(__name__)

HOLD_MS = 300
"""How long one signal from the ingress lasts; it renews it while webhooks keep queuing."""
POLL_SECONDS = 0.1


def busy_key(namespace: str) -> str:
    """The Redis key the ingress sets while webhooks queue up (per broker namespace)."""
    return f"{namespace}:ingress-busy"


class IngressFirst(Middleware):
    """At most ``keep`` messages of ``queues`` run at once in this process while the key is set.

    ``keep`` < 0 turns the middleware off (every thread runs as usual).
    """

    def __init__(self, key: str, *, keep: int = 1, queues: Iterable[str] = ("executions",)) -> None:
        self.key = key
        self.keep = keep
        self.queues = frozenset(queues)
        self.busy = False
        self._running = 0
        self._changed = threading.Condition()
        self._local = threading.local()
        self._stopping = threading.Event()
        self._poller: threading.Thread | None = None

    # -- the signal ---------------------------------------------------------------------------

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        client = getattr(broker, "client", None)
        if self.keep < 0 or client is None:
            return
        self._stopping = threading.Event()  # a poller of an earlier boot keeps its own
        self._poller = threading.Thread(target=self._poll, args=(client, self._stopping),
                                        name="ingress-first", daemon=True)  # fmt: skip
        self._poller.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stopping.set()
        self.set_busy(False)

    def _poll(self, client: Any, stopping: threading.Event) -> None:
        failing = False
        while not stopping.is_set():
            try:
                busy = bool(client.exists(self.key))
                failing = False
            except Exception as error:  # Redis unreachable: run as usual, say so once
                if not failing:
                    log.warning("ingress-first: cannot read %s (%s); not holding runs back",
                                self.key, error)  # fmt: skip
                busy, failing = False, True
            self.set_busy(busy)
            stopping.wait(POLL_SECONDS)

    def set_busy(self, busy: bool) -> None:
        """Record the ingress's state; waiting threads re-check when it turns quiet."""
        with self._changed:
            if busy != self.busy:
                self.busy = busy
                self._changed.notify_all()

    # -- the hold -----------------------------------------------------------------------------

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._local.holding = False
        if self.keep < 0 or q_name(message.queue_name) not in self.queues:
            return
        with self._changed:
            while self.busy and self._running >= self.keep and not self._stopping.is_set():
                self._changed.wait(POLL_SECONDS)
            self._running += 1
        self._local.holding = True

    def after_process_message(
        self, broker: dramatiq.Broker, message: Any, *, result: Any = None,
        exception: BaseException | None = None,
    ) -> None:  # fmt: skip
        self._release()

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self._release()

    def _release(self) -> None:
        if not getattr(self._local, "holding", False):
            return
        self._local.holding = False
        with self._changed:
            self._running -= 1
            self._changed.notify()
