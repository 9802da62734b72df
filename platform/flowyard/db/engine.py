"""One SQLAlchemy engine per process, built from ``DATABASE_URL``."""

from __future__ import annotations

import functools

from sqlalchemy import Engine
from sqlmodel import create_engine

from flowyard.settings import get_settings


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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def reset_engine() -> None:
    """Forget the cached engine (tests and forked processes)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
