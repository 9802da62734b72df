"""Errors people hit when starting Flowyard are one clear sentence, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from support.services import REPO_ROOT


def _flowyard(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowyard", *args],
        env={**os.environ, **env}, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(error_lines) == 1, result.stderr
    return error_lines[0]


def test_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        line = _one_sentence(_flowyard("up", FLOWYARD_WEB_PORT=str(port)))
    assert f"Port {port} is already in use" in line


def test_unreachable_database() -> None:
    line = _one_sentence(
        _flowyard(
            "up", DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing", FLOWYARD_WEB_PORT="1"
        )
    )
    assert "Cannot reach PostgreSQL at 127.0.0.1:1" in line


def test_not_postgres() -> None:
    line = _one_sentence(_flowyard("migrate", DATABASE_URL="sqlite:///x.db"))
    assert "must point at a PostgreSQL server" in line


def test_weak_password_for_create_agency(database_url: str, redis_server_url: str) -> None:
    result = _flowyard(
        "create-agency", "Acme", "--owner", "pat@example.com", "--password", "short",
        DATABASE_URL=database_url, REDIS_URL=redis_server_url,
    )  # fmt: skip
    assert "at least 10 characters" in _one_sentence(result)
