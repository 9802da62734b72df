"""Resolve the PostgreSQL and Redis a process tree will use, starting embedded ones if needed."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from flowyard.services.embedded import EmbeddedPostgres, EmbeddedRedis
from flowyard.services.ports import port_is_open
from flowyard.settings import Settings


class ServiceUnreachable(RuntimeError):
    """A configured server does not answer; the message names it."""


@dataclass
class Services:
    database_url: str
    redis_url: str
    embedded: list[EmbeddedPostgres | EmbeddedRedis] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """Environment for child processes (web, worker, scheduler) to reach the same servers."""
        return {**os.environ, "DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url}

    def stop(self) -> None:
        for server in reversed(self.embedded):
            server.stop()
        self.embedded.clear()


def _check_reachable(kind: str, url: str, default_port: int) -> None:
    parsed = make_url(url) if kind == "PostgreSQL" else None
    if parsed is not None:
        host, port = parsed.host or "127.0.0.1", parsed.port or default_port
    else:
        from urllib.parse import urlparse

        redis_parsed = urlparse(url)
        if redis_parsed.scheme == "unix":
            return
        host, port = redis_parsed.hostname or "127.0.0.1", redis_parsed.port or default_port
    if not port_is_open(host, port, timeout=2.0):
        raise ServiceUnreachable(f"Cannot reach {kind} at {host}:{port}; is the server running?")


def resolve_services(settings: Settings, say: Callable[[str], None] = print) -> Services:
    """Use DATABASE_URL / REDIS_URL when given, else start the embedded servers under var/."""
    services = Services(database_url="", redis_url="")
    var = Path(settings.var_dir)
    try:
        if settings.database_url:
            _check_reachable("PostgreSQL", settings.database_url, 5432)
            services.database_url = settings.database_url
        else:
            say("Starting the embedded PostgreSQL (data in var/postgres)…")
            server = EmbeddedPostgres(var / "postgres", settings.embedded_postgres_port)
            services.database_url = server.start()
            services.embedded.append(server)
        if settings.redis_url:
            _check_reachable("Redis", settings.redis_url, 6379)
            services.redis_url = settings.redis_url
        else:
            say("Starting the embedded Redis (data in var/redis)…")
            redis_server = EmbeddedRedis(var / "redis", settings.embedded_redis_port)
            services.redis_url = redis_server.start()
            services.embedded.append(redis_server)
    except BaseException:
        services.stop()
        raise
    return services
