"""Keeps this process's execution leases alive while it works on them.

Leases are short (``FLOWYARD_EXECUTION_LEASE_SECONDS``, 30 s by default), so when a worker dies
the sweeper can resume its executions quickly. While the worker lives, one daemon thread per
process renews every lease it holds in a single UPDATE, every third of the lease.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import timedelta

from sqlalchemy import text

from flowyard import clock
from flowyard.db import get_engine
from flowyard.settings import get_settings

log = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._held: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, execution_id: uuid.UUID) -> None:
        with self._lock:
            self._held.add(execution_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="lease-keeper", daemon=True)
                self._thread.start()

    def release(self, execution_id: uuid.UUID) -> None:
        with self._lock:
            self._held.discard(execution_id)

    def renew(self) -> int:
        """Push every held lease forward by one lease length; returns how many rows moved."""
        with self._lock:
            ids = list(self._held)
        if not ids:
            return 0
        until = clock.now() + timedelta(seconds=get_settings().execution_lease_seconds)
        with get_engine().begin() as connection:
            result = connection.execute(
                text(
                    "UPDATE execution SET lease_until = :until "
                    "WHERE id = ANY(:ids) AND lease_owner = :owner"
                ),
                {"until": until, "ids": ids, "owner": self.owner},
            )
        return int(result.rowcount or 0)

    def _loop(self) -> None:
        while True:
            interval = max(0.2, get_settings().execution_lease_seconds / 3)
            threading.Event().wait(interval)
            try:
                self.renew()
            except Exception:
                log.exception("could not renew execution leases; will retry")
