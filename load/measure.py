"""What the ingest runner measures: every answer Locust recorded, and where the CPU went."""

from __future__ import annotations

import json
import math
import resource
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from sqlalchemy.engine import make_url


def libpq(url: str) -> str:
    """A SQLAlchemy URL as libpq (psycopg) takes it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Figures:
    """One Locust run: answers, accepted (202) answers per second, exact percentiles (ms)."""

    users: int
    sent: int = 0
    accepted: int = 0
    rps: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0

    @property
    def failed(self) -> int:
        return self.sent - self.accepted


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ordered list (0 for an empty one)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def merge(users: int, directory: Path) -> Figures:
    """The answers every Locust process saved in ``directory`` (see ``webhook_ingest.py``)."""
    times: list[float] = []
    statuses: dict[str, int] = {}
    first, last = math.inf, 0.0
    for path in directory.glob("*.json"):
        data = json.loads(path.read_text())
        times += data["times"]
        for status, count in data["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
        first, last = min(first, data["first"]), max(last, data["last"])
    times.sort()
    accepted = statuses.get("202", 0)
    span = last - first if times else 0.0
    return Figures(users=users, sent=len(times), accepted=accepted,
                   rps=accepted / span if span > 0 else 0.0, p50=_percentile(times, 0.50),
                   p95=_percentile(times, 0.95), p99=_percentile(times, 0.99))  # fmt: skip


_PG_AUXILIARY = ("walwriter", "checkpointer", "background writer", "autovacuum launcher")


class CpuMeter:
    """CPU seconds used by each part of a run, and by the rest of the machine meanwhile.

    Parts: process trees (ingress, worker, Redis…), Locust (finished child processes),
    PostgreSQL (our database's backends plus the server's WAL writer, checkpointer and
    background writer, which our commits keep busy). ``rest`` is the machine's busy time
    not in any part: the kernel, and any other program (say, another test run) — a run with
    a large ``rest`` competed for the cores and its figures are low.
    """

    def __init__(self, database_url: str, groups: dict[str, int]) -> None:
        self.database_url = database_url
        self.groups = groups
        self.start = self._sample()
        self.began = time.monotonic()
        self.seconds = 0.0

    @staticmethod
    def _tree(pid: int) -> float:
        total = 0.0
        try:
            root = psutil.Process(pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            pass
        return total

    def _postgres(self) -> dict[str, float]:
        with psycopg.connect(libpq(self.database_url)) as conn:
            pids = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND (datname = current_database() OR backend_type = ANY(%s))",
                [list(_PG_AUXILIARY)]).fetchall()]  # fmt: skip
        used: dict[str, float] = {}
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
                used[f"pg:{pid}"] = times.user + times.system
            except psutil.Error:
                pass
        return used

    def _sample(self) -> dict[str, float]:
        sample = {name: self._tree(pid) for name, pid in self.groups.items()}
        sample.update(self._postgres())
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        sample["locust"] = children.ru_utime + children.ru_stime
        machine = psutil.cpu_times()
        sample["machine"] = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
        return sample

    def split(self) -> dict[str, float]:
        """CPU seconds per part since this meter was made, ``rest`` last."""
        end = self._sample()
        self.seconds = time.monotonic() - self.began
        used = {k: v - self.start.get(k, 0.0) for k, v in end.items()}
        parts = {k: v for k, v in used.items() if not k.startswith("pg:") and k != "machine"}
        parts["postgres"] = sum(v for k, v in used.items() if k.startswith("pg:"))
        parts["rest"] = max(used["machine"] - sum(parts.values()), 0.0)
        return parts


def counts(database_url: str) -> tuple[int, int, float]:
    """(stored events, finished executions, seconds from the first start to the last end)."""
    with psycopg.connect(libpq(database_url)) as conn:
        stored = conn.execute("SELECT count(*) FROM webhook_inbound_event").fetchone()[0]
        done, span = conn.execute(
            "SELECT count(*) FILTER (WHERE status = 'succeeded'), "
            "EXTRACT(EPOCH FROM max(finished_at) - min(started_at)) FROM execution"
        ).fetchone()
    return stored, done, float(span or 0)
