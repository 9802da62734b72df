"""Find the PostgreSQL and Redis the suite runs against — never fakes.

Order: ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL``; else the local servers on their standard
ports if they answer; else the embedded ones from the wheels (started once, kept under
``var/test-services`` so a second run reuses them).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

from flowyard.services.embedded import EmbeddedPostgres, EmbeddedRedis
from flowyard.services.ports import port_is_open

REPO_ROOT = Path(__file__).resolve().parents[2]
SERVICES_DIR = REPO_ROOT / "var" / "test-services"


def postgres_admin_url() -> str:
    """A URL to a database on a server where the suite may create and drop databases."""
    if url := os.environ.get("TEST_DATABASE_URL"):
        parsed = make_url(url).set(drivername="postgresql+psycopg")
        return parsed.render_as_string(hide_password=False)
    if port_is_open("127.0.0.1", 5432):
        return "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    server = EmbeddedPostgres(SERVICES_DIR / "postgres", port=54339, database="postgres")
    return server.start()


def redis_url() -> str:
    if url := os.environ.get("TEST_REDIS_URL"):
        return url
    if port_is_open("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0"
    return EmbeddedRedis(SERVICES_DIR / "redis", port=63739).start()


def with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def with_redis_db(url: str, number: int) -> str:
    base = url.rsplit("/", 1)[0] if url.count("/") >= 3 else url
    return f"{base}/{number}"
