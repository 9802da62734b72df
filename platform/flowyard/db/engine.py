"""One SQLAlchemy engine per process, built from ``DATABASE_URL``."""

from __future__ import annotations

import functools
import time
from typing import Any

from sqlalchemy import Engine, event, exc
from sqlmodel import create_engine

from flowyard.settings import get_settings

IDLE_PING_SECONDS = 10.0
RECYCLE_SECONDS = 1800


class DatabaseNotConfigured(RuntimeError):
    """No DATABASE_URL: ``flowyard up`` sets it after starting the embedded server."""


@functools.cache
def get_engine() -> Engine:
    """The process-wide engine (a connection pool; safe to share between threads)."""
    url = get_settings().database_url
    if not url:
        raise DatabaseNotConfigured(
            "DATABASE_URL is not set. Run `flowyard up` (it starts an embedded PostgreSQL) "
            "or point DATABASE_URL at your PostgreSQL server."
        )
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=RECYCLE_SECONDS)
    ping_after_idle(engine, IDLE_PING_SECONDS)
    return engine


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection on checkout only when it sat idle ``idle_seconds`` or more.

    Why not ``pool_pre_ping``: it costs a round trip on *every* checkout, which was a
    measurable share of a webhook's cost. A connection that was in use moments ago is
    almost surely alive; one that sat idle (the server may have restarted or dropped it)
    is pinged, and a dead one is discarded and replaced (``DisconnectionError`` makes the
    pool retry). If the server goes away while connections are busy, the first statement
    that fails invalidates the pool, as with any disconnect.
    """

    @event.listens_for(engine, "checkin")
    def _idle_since(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"stale pooled connection ({error})") from error


def reset_engine() -> None:
    """Forget the cached engine (tests and forked processes)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
