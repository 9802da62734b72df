"""A few autocommit ``psycopg.AsyncConnection``\\ s per event loop, for the ingress's fast path.

Why: the common webhook costs one SQL statement. Running it on the event loop, instead of
handing the request to a worker thread and back, saves the thread hop and the GIL hand-offs
between the loop and the threads, which cost more CPU than the statement itself.

Each connection runs one statement at a time in autocommit mode (one statement, one
transaction). Like the engine's pool (:func:`flowyard.db.engine.ping_after_idle`), a
connection is pinged only when it sat idle for a while; one that fails in use is closed,
never reused, and the error reaches the caller (the route answers 503).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from flowyard.db import engine as db_engine
from flowyard.webhooks.per_loop import PerLoop

POOL_SIZE = 8
"""Statements in flight at once per event loop (each process has one loop): enough to keep
PostgreSQL busy on a small machine without a crowd of backends competing for its cores."""

AsyncCursor = psycopg.AsyncCursor[Any]


class AsyncPool:
    """At most ``size`` connections, used one request at a time; the most recent first.

    Each connection keeps one cursor for its life: a cursor caches its parameter adapters,
    which a new cursor per statement would build again every time.
    """

    def __init__(self, conninfo: str, size: int = POOL_SIZE) -> None:
        self.conninfo = conninfo
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[float, AsyncCursor]] = []

    @asynccontextmanager
    async def cursor(self) -> AsyncIterator[AsyncCursor]:
        async with self._slots:
            cursor = await self._checkout()
            try:
                yield cursor
            except BaseException:
                await cursor.connection.close()  # unknown state (or cancelled): never reuse
                raise
            self._idle.append((time.monotonic(), cursor))

    async def _checkout(self) -> AsyncCursor:
        while self._idle:
            since, cursor = self._idle.pop()
            if cursor.connection.closed:
                continue
            if time.monotonic() - since < db_engine.IDLE_PING_SECONDS:
                return cursor
            try:
                await cursor.execute("SELECT 1")
                return cursor
            except psycopg.Error:
                await cursor.connection.close()  # the server restarted or dropped it
        conn = await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)
        return conn.cursor()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for _since, cursor in idle:
            await cursor.connection.close()


def _new_pool() -> AsyncPool:
    url = db_engine.get_engine().url  # DatabaseNotConfigured without DATABASE_URL
    return AsyncPool(url.set(drivername="postgresql").render_as_string(hide_password=False))


_pools = PerLoop(_new_pool)


def pool() -> AsyncPool:
    """This event loop's pool (connections belong to the loop that opened them)."""
    return _pools.get()
