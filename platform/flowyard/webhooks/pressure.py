"""The ingress's side of "webhooks first" (see :mod:`flowyard.workers.ingress_first`).

The group commit notes when webhooks of this process queue for their statement
(:func:`note`); the batch sender's thread then sets the Redis key the workers watch, at most
once per third of its expiry. During a burst that is one Redis command per ~100 ms, carried
by a thread that is sending messages anyway; at other times nothing.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flowyard.settings import get_settings
from flowyard.workers.ingress_first import HOLD_MS, busy_key

log = logging.getLogger(__name__)

QUEUED = 4
"""Webhooks of one process waiting for their statement at once that make a queue: with a
statement taking a few milliseconds, that is hundreds of webhooks a second, or latency
already growing."""


class Pressure:
    """When this process last saw webhooks queue, and when it last told the workers."""

    def __init__(self) -> None:
        self.noted = 0.0
        self.published = 0.0

    def note(self) -> None:
        self.noted = time.monotonic()

    def due(self) -> bool:
        """Something new to tell, and the last signal is a third through its expiry."""
        return self.noted > self.published and (time.monotonic() - self.published >= HOLD_MS / 3000)

    def publish(self, client: Any) -> None:
        """Set (or renew) the key; a Redis error only costs this one signal."""
        self.published = time.monotonic()
        try:
            client.set(busy_key(get_settings().broker_namespace), b"1", px=HOLD_MS)
        except Exception as error:
            log.debug("ingress-first: could not signal the workers (%s)", error)


pressure = Pressure()
