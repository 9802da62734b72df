"""Suite-wide fixtures: a real PostgreSQL database and a real Redis for every test that needs them.

Each pytest run gets its own database (``flowyard_test_<pid>``) migrated to head with Alembic;
tests that use ``db`` start from empty tables (TRUNCATE after each test), and tests that use
``redis`` get a flushed Redis database of their own number.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from support import services

os.environ.setdefault("FLOWYARD_ENV", "test")
# Each run gets its own broker key prefix: a stray worker left by an interrupted run (or a
# developer's `make run` on the same Redis) can never take this run's messages.
os.environ["FLOWYARD_BROKER_NAMESPACE"] = f"flowyard-test-{os.getpid()}"


def _reset_process_caches() -> None:
    from flowyard.db import reset_engine
    from flowyard.settings import get_settings

    get_settings.cache_clear()
    reset_engine()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this test run; dropped at the end."""
    from flowyard.db import migrate

    admin = services.postgres_admin_url()
    name = f"flowyard_test_{os.getpid()}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = services.with_database(admin, name)
    migrate.upgrade(url)
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    _reset_process_caches()
    yield url
    _reset_process_caches()
    if previous is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = previous
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def truncate_all(url: str) -> None:
    from flowyard.db.models import metadata

    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def db(database_url: str) -> Iterator[str]:
    """Empty tables for this test (real PostgreSQL); yields the database URL."""
    truncate_all(database_url)
    yield database_url
    truncate_all(database_url)


@pytest.fixture(scope="session")
def redis_server_url() -> Iterator[str]:
    base = services.redis_url()
    url = services.with_redis_db(base, 9)
    previous = os.environ.get("REDIS_URL")
    os.environ["REDIS_URL"] = url
    _reset_process_caches()
    yield url
    if previous is None:
        os.environ.pop("REDIS_URL", None)
    else:
        os.environ["REDIS_URL"] = previous


@pytest.fixture
def redis(redis_server_url: str) -> Iterator[str]:
    """A flushed Redis database (real server) for this test; yields its URL."""
    import redis as redis_lib

    client = redis_lib.Redis.from_url(redis_server_url)
    client.flushdb()
    yield redis_server_url
    client.flushdb()
    client.close()
