"""Run the platform's processes side by side and stop them together.

Children start in their own session so Ctrl-C reaches only us; we then stop them in
reverse order (SIGTERM, then SIGKILL after a grace period) so nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]


@dataclass
class Supervisor:
    children: list[Child] = field(default_factory=list)

    def start(
        self, name: str, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None
    ) -> Child:
        process = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, start_new_session=True)
        child = Child(name, process)
        self.children.append(child)
        return child

    def adopt(self, name: str, process: subprocess.Popen[bytes]) -> Child:
        child = Child(name, process)
        self.children.append(child)
        return child

    def first_exited(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def wait(self, poll_seconds: float = 0.5) -> Child:
        """Block until a child exits (or we are interrupted); return it."""
        while True:
            exited = self.first_exited()
            if exited is not None:
                return exited
            time.sleep(poll_seconds)

    def stop_all(self, grace_seconds: float = 15.0) -> None:
        for child in reversed(self.children):
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for child in reversed(self.children):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                _signal_group(child.process, signal.SIGKILL)
                child.process.wait()
        self.children.clear()


def _signal_group(process: subprocess.Popen[bytes], sig: int) -> None:
    """Signal the child's whole process group (e.g. Reflex and the servers it spawned)."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
