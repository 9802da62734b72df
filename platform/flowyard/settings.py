"""Every setting comes from the environment, with embedded defaults for a laptop.

Production points ``DATABASE_URL`` and ``REDIS_URL`` at real servers; when they are absent,
``flowyard up`` starts an embedded PostgreSQL and Redis with their data under ``./var/``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Runtime configuration; field names map to upper-case environment variables."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

    environment: Literal["development", "production", "test"] = Field(
        default="development", alias="FLOWYARD_ENV"
    )
    database_url: str | None = None
    redis_url: str | None = None
    var_dir: Path = Field(default=REPO_ROOT / "var", alias="FLOWYARD_VAR_DIR")
    secret_keys: str | None = Field(
        default=None,
        alias="FLOWYARD_SECRET_KEYS",
        description="Comma-separated 'kid:base64key' pairs; the first one encrypts new secrets.",
    )
    sentry_dsn: str | None = None
    public_base_url: str = Field(default="http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    web_port: int = Field(default=3000, alias="FLOWYARD_WEB_PORT")
    embedded_postgres_port: int = Field(default=54329, alias="FLOWYARD_EMBEDDED_PG_PORT")
    embedded_redis_port: int = Field(default=63799, alias="FLOWYARD_EMBEDDED_REDIS_PORT")
    session_ttl_hours: int = Field(default=24 * 7, alias="FLOWYARD_SESSION_TTL_HOURS")
    worker_processes: int = Field(default=1, alias="FLOWYARD_WORKER_PROCESSES")
    worker_threads: int = Field(default=8, alias="FLOWYARD_WORKER_THREADS")
    http_allow_list: str = Field(
        default="",
        alias="FLOWYARD_HTTP_ALLOW",
        description="Comma-separated CIDRs or host[:port] that outbound HTTP may reach even "
        "though they are private (self-hosters, tests, the local sandboxes).",
    )
    broker_namespace: str = Field(
        default="flowyard",
        alias="FLOWYARD_BROKER_NAMESPACE",
        description="Prefix of the broker's Redis keys (lets test runs share one Redis).",
    )
    ingress_first_keep: int = Field(
        default=1,
        alias="FLOWYARD_INGRESS_FIRST_KEEP",
        description="Bulk runs each worker process keeps running while webhooks queue up at "
        "the ingress (the others wait until the burst is over); -1 never holds runs back.",
    )
    worker_idle_poll_ms: int = Field(default=50, alias="FLOWYARD_WORKER_IDLE_POLL_MS")
    broker_heartbeat_timeout_ms: int = Field(
        default=60_000,
        alias="FLOWYARD_BROKER_HEARTBEAT_MS",
        description="After this long without a heartbeat, a worker's unacknowledged messages "
        "are handed to other workers (Dramatiq's Redis broker).",
    )
    execution_lease_seconds: int = Field(default=30, alias="FLOWYARD_EXECUTION_LEASE_SECONDS")
    tenant_concurrency: int = Field(default=10, alias="FLOWYARD_TENANT_CONCURRENCY")
    smtp_host: str = Field(default="127.0.0.1", alias="SMTP_HOST")
    smtp_port: int = Field(default=1025, alias="SMTP_PORT")
    smtp_username: str | None = Field(default=None, alias="SMTP_USERNAME")
    smtp_password: str | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_from: str = Field(default="no-reply@flowyard.local", alias="SMTP_FROM")

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        """PostgreSQL is the only database: refuse anything else early and plainly."""
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql", "postgres://")):
            raise ValueError("DATABASE_URL must point at a PostgreSQL server (postgresql://…).")
        if value.startswith("postgres://"):
            value = "postgresql://" + value.removeprefix("postgres://")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @property
    def http_allow_entries(self) -> list[str]:
        return [part.strip() for part in self.http_allow_list.split(",") if part.strip()]

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
