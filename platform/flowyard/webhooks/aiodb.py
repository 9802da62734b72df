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
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg

from flowyard.db import engine as db_engine

POOL_SIZE = 8
"""Statements in flight at once per event loop (each process has one loop): enough to keep
PostgreSQL busy on a small machine without a crowd of backends competing for its cores."""

AsyncConnection = psycopg.AsyncConnection[Any]


class AsyncPool:
    """At most ``size`` connections, used one request at a time; the most recent first."""

    def __init__(self, conninfo: str, size: int = POOL_SIZE) -> None:
        self.conninfo = conninfo
        self._slots = asyncio.Semaphore(size)
        self._idle: list[tuple[float, AsyncConnection]] = []

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self._slots:
            conn = await self._checkout()
            try:
                yield conn
            except BaseException:
                await conn.close()  # unknown state (or cancelled mid-statement): never reuse
                raise
            self._idle.append((time.monotonic(), conn))

    async def _checkout(self) -> AsyncConnection:
        while self._idle:
            since, conn = self._idle.pop()
            if conn.closed:
                continue
            if time.monotonic() - since < db_engine.IDLE_PING_SECONDS:
                return conn
            try:
                await conn.execute("SELECT 1")
                return conn
            except psycopg.Error:
                await conn.close()  # the server restarted or dropped it: open another
        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for _since, conn in idle:
            await conn.close()


_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncPool] = (
    weakref.WeakKeyDictionary()
)


def pool() -> AsyncPool:
    """This event loop's pool (connections belong to the loop that opened them)."""
    loop = asyncio.get_running_loop()
    found = _pools.get(loop)
    if found is None:
        url = db_engine.get_engine().url  # DatabaseNotConfigured without DATABASE_URL
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        found = _pools[loop] = AsyncPool(conninfo)
    return found
