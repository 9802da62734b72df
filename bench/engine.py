"""Engine benchmark: real worker processes on this machine, printed, never asserted.

``python -m bench.engine [--executions 1000] [--processes 2] [--threads 8]``

1. **Burst**: 1,000 executions of "trigger -> set fields -> condition -> set fields" started in
   one go (transactions of 20, over 4 tenants, from this process); executions/s from the first
   start to the last finish, and end-to-end latency (start -> finished) p50/p95.
2. **No-op baseline**, same run, same worker command and settings: Dramatiq messages to an
   actor that does nothing, drained by the same pool; messages/s and the ratio.
3. **Backlog**: the same 1,000 started while no worker runs, then the pool starts: the
   workers' own rate (first claim -> last finish), free of the starting side's CPU.
4. **Engine overhead per step**: pool time per executed step (from the backlog's rate)
   against pool time per no-op message (sent in one go and drained); and, from idle single
   runs, wall time per step.
5. **Run now on an idle queue**: time from ``start_execution`` committing to the worker
   claiming the run (``started_at``) and to its first step starting.

Uses a scratch database ``flowyard_bench_<pid>`` and Redis database 14 (both wiped).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
REDIS_DB = 14
TENANTS = 4
DOCUMENT = {
    "name": "Bench: tag orders",
    "trigger": {"kind": "manual"},
    "steps": [
        {"kind": "action", "id": "prepare", "name": "Prepare", "action": "core.set_fields",
         "inputs": {"fields": {"total": {"var": "trigger.total"},
                               "number": {"var": "trigger.number"}}}},
        {"kind": "condition", "id": "big", "name": "Big?",
         "rule": {">": [{"var": "steps.prepare.output.total"}, 100]}},
        {"kind": "action", "id": "tag_big", "name": "Tag big", "action": "core.set_fields",
         "inputs": {"fields": {"tag": "big"}}},
        {"kind": "action", "id": "tag_small", "name": "Tag small", "action": "core.set_fields",
         "inputs": {"fields": {"tag": "small"}}},
    ],
    "edges": [
        {"source": "prepare", "target": "big"},
        {"source": "big", "target": "tag_big", "branch": "true"},
        {"source": "big", "target": "tag_small", "branch": "false"},
    ],
}  # fmt: skip
BATCH = 20  # executions started per transaction
STEPS_RUN = 3  # prepare, the condition, one of the two tags


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


# ---------------------------------------------------------------- services


def _scratch_services() -> tuple[str, str, str]:
    """(database URL, Redis URL, admin URL) of a fresh database and an empty Redis number."""
    sys.path.insert(0, str(REPO_ROOT / "tests"))
    import psycopg
    import redis
    from sqlalchemy.engine import make_url

    from support import services

    admin = services.postgres_admin_url()
    name = f"flowyard_bench_{os.getpid()}"
    plain = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    redis_url = services.with_redis_db(services.redis_url(), REDIS_DB)
    redis.Redis.from_url(redis_url).flushdb()
    return services.with_database(admin, name), redis_url, admin


def _drop_database(admin: str, url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
    name = make_url(url).database
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Pool:
    """The worker pool as ``flowyard worker`` runs it (plus the bench's no-op actor module),
    and the scheduler (``flowyard scheduler``: outbox relay, stuck-run sweeper)."""

    def __init__(self, env: dict[str, str], processes: int, threads: int) -> None:
        self.command = [sys.executable, "-m", "dramatiq", "flowyard.workers.actors",
                        "bench.noop", "--processes", str(processes), "--threads",
                        str(threads), "--skip-logging"]  # fmt: skip
        self.scheduler = [sys.executable, "-m", "flowyard", "scheduler"]  # sweeper, outbox relay
        self.env = env
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Pool:
        log_dir = REPO_ROOT / "var"
        log_dir.mkdir(exist_ok=True)
        self.processes = [
            subprocess.Popen(
                command, env=self.env, cwd=REPO_ROOT, start_new_session=True,
                stdout=(log_dir / f"bench-{name}.log").open("w"), stderr=subprocess.STDOUT,
            )
            for name, command in (("worker", self.command), ("scheduler", self.scheduler))
        ]  # fmt: skip
        time.sleep(5)  # processes import, connect and start consuming
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        for process in self.processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------- phases


def _setup_workflows() -> list[tuple[uuid.UUID, Any]]:
    from flowyard.db import system_session, tenant_session
    from flowyard.engine import versions
    from tenants import service

    with system_session() as db:
        agency = service.create_agency(db, "Bench Agency")
        tenant_ids = [service.create_tenant(db, agency.id, f"Bench {n}").id for n in range(TENANTS)]
    result = []
    for tenant_id in tenant_ids:
        with tenant_session(tenant_id) as db:
            workflow = versions.create_workflow(db, tenant_id, DOCUMENT["name"], dict(DOCUMENT))
            versions.publish(db, workflow)
            db.refresh(workflow)
        result.append((tenant_id, workflow))
    return result


def _wait_all_finished(ids: list[uuid.UUID], timeout: float) -> None:
    from sqlalchemy import text

    from flowyard.db import system_session

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with system_session() as db:
            left = db.execute(
                text(
                    "SELECT count(*) FROM execution WHERE id = ANY(:ids) AND status NOT IN "
                    "('succeeded', 'failed', 'cancelled')"
                ),
                {"ids": ids},
            ).scalar_one()
        if left == 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{left} executions still unfinished after {timeout:.0f} s")


def _start_runs(workflows: list[tuple[uuid.UUID, Any]], count: int) -> list[uuid.UUID]:
    """Start ``count`` executions, round-robin over the tenants, in transactions of 20."""
    from flowyard.db import tenant_session
    from flowyard.engine.executions import start_execution

    ids: list[uuid.UUID] = []
    for start in range(0, count, BATCH):
        tenant_id, workflow = workflows[(start // BATCH) % len(workflows)]
        with tenant_session(tenant_id) as db:  # one short transaction per batch, as triggers do
            fresh = db.merge(workflow)
            for number in range(start, min(count, start + BATCH)):
                payload = {"number": number, "total": number % 200}
                ids.append(start_execution(db, fresh, payload, commit=False).id)
            db.commit()  # the outbox sends the batch's messages after commit
    return ids


def _timings(ids: list[uuid.UUID]) -> dict[str, Any]:
    from sqlalchemy import text

    from flowyard.db import system_session

    with system_session() as db:
        rows = db.execute(
            text(
                "SELECT created_at, started_at, finished_at, status FROM execution "
                "WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        ).all()
    first = min(r.created_at for r in rows)
    claimed = min(r.started_at for r in rows)
    last = max(r.finished_at for r in rows)
    span = (last - first).total_seconds()
    latency = [(r.finished_at - r.created_at).total_seconds() * 1000 for r in rows]
    return {
        "count": len(rows),
        "failed": sum(1 for r in rows if r.status != "succeeded"),
        "span_s": span,
        "per_s": len(rows) / span,
        "drain_per_s": len(rows) / (last - claimed).total_seconds(),
        "p50_ms": _percentile(latency, 50),
        "p95_ms": _percentile(latency, 95),
    }


def burst(workflows: list[tuple[uuid.UUID, Any]], count: int) -> dict[str, Any]:
    """Start ``count`` executions at once while the pool runs; throughput and latency."""
    began = time.monotonic()
    ids = _start_runs(workflows, count)
    enqueued = time.monotonic() - began
    _wait_all_finished(ids, timeout=600)
    return {**_timings(ids), "enqueue_s": enqueued}


def backlog(workflows: list[tuple[uuid.UUID, Any]], count: int, pool: Pool) -> dict[str, Any]:
    """Start ``count`` executions while no worker runs, then start the pool: the workers'
    own rate draining a backlog (first claim -> last finish), as the no-op baseline is."""
    ids = _start_runs(workflows, count)
    with pool:
        _wait_all_finished(ids, timeout=600)
    return _timings(ids)


def noop_baseline(count: int) -> dict[str, Any]:
    """Drain ``count`` no-op messages through the same pool: messages per second."""
    import redis

    from bench.noop import QUEUE, noop
    from flowyard.settings import get_settings

    settings = get_settings()
    client = redis.Redis.from_url(settings.redis_url)
    pending_key = f"{settings.broker_namespace}:{QUEUE}.msgs"
    began = time.monotonic()
    for number in range(count):
        noop.send(number)
    enqueued = time.monotonic() - began
    while client.hlen(pending_key) > 0:
        time.sleep(0.01)
    span = time.monotonic() - began
    return {"count": count, "span_s": span, "enqueue_s": enqueued, "per_s": count / span}


def run_now_latency(workflows: list[tuple[uuid.UUID, Any]], samples: int) -> dict[str, Any]:
    """Interactive starts on an idle pool: commit -> claimed, commit -> first step started."""
    from sqlmodel import col, select

    from flowyard.db import tenant_session
    from flowyard.engine.executions import start_execution
    from flowyard.engine.models import Execution, StepRun

    claimed, first_step, per_step = [], [], []
    tenant_id, workflow = workflows[0]
    for number in range(samples):
        time.sleep(1.2)  # let the consumers go idle (their polling backs off)
        with tenant_session(tenant_id) as db:
            fresh = db.merge(workflow)
            execution = start_execution(db, fresh, {"number": number, "total": 150},
                                        interactive=True)  # fmt: skip
            committed = datetime.now(UTC)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with tenant_session(tenant_id) as db:
                row = db.get(Execution, execution.id)
                if row and row.finished_at:
                    steps = db.exec(select(StepRun).where(StepRun.execution_id == row.id)
                                    .order_by(col(StepRun.started_at))).all()  # fmt: skip
                    break
            time.sleep(0.01)
        else:
            continue
        claimed.append((row.started_at - committed).total_seconds() * 1000)
        if steps:
            first_step.append((steps[0].started_at - committed).total_seconds() * 1000)
        per_step.append((row.finished_at - row.started_at).total_seconds() * 1000 / STEPS_RUN)
    return {
        "samples": len(claimed),
        "claim_p50": _percentile(claimed, 50),
        "claim_p95": _percentile(claimed, 95),
        "step_p50": _percentile(first_step, 50),
        "step_p95": _percentile(first_step, 95),
        "wall_per_step": statistics.median(per_step) if per_step else float("nan"),
    }


# ---------------------------------------------------------------- report


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"  {k.ljust(width)}  {v}" for k, v in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=1000)
    parser.add_argument("--noop", type=int, default=20_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--run-now-samples", type=int, default=20)
    args = parser.parse_args(argv)

    database_url, redis_url, admin = _scratch_services()
    os.environ.update({"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                       "FLOWYARD_ENV": "test", "FLOWYARD_TENANT_CONCURRENCY": "64"})  # fmt: skip
    from flowyard.db import migrate
    from flowyard.settings import get_settings

    get_settings.cache_clear()
    migrate.upgrade(database_url)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT),
                                                        str(REPO_ROOT / "platform")])}  # fmt: skip
    print(
        f"Engine benchmark: {args.processes} worker processes x {args.threads} threads, "
        f"{os.cpu_count()} cores, tenant cap 64, {TENANTS} tenants, Redis db {REDIS_DB}"
    )
    try:
        workflows = _setup_workflows()
        with Pool(env, args.processes, args.threads):
            burst(workflows[:1], 1)  # warm-up: one run first (imports, mappers, connections)
            burst(workflows, 100)
            engine = burst(workflows, args.executions)
            baseline = noop_baseline(args.noop)
            idle = run_now_latency(workflows, args.run_now_samples)
        drained = backlog(workflows, args.executions, Pool(env, args.processes, args.threads))
    finally:
        _drop_database(admin, database_url)
    step_cost = 1000 / (drained["drain_per_s"] * STEPS_RUN)  # pool-ms per executed step
    message_cost = 1000 / baseline["per_s"]  # pool-ms per no-op message
    print(_table([
        ("executions (burst)", f"{engine['count']} ({engine['failed']} not succeeded)"),
        ("executions/s", f"{engine['per_s']:.0f}  (first start -> last finish "
                         f"{engine['span_s']:.2f} s; starting them took "
                         f"{engine['enqueue_s']:.2f} s)"),
        ("end-to-end latency", f"p50 {engine['p50_ms']:.0f} ms, p95 {engine['p95_ms']:.0f} ms "
                               "(start -> finished, under the burst)"),
        ("  workers only", f"{engine['drain_per_s']:.0f}/s  (first claim -> last finish)"),
        ("backlog drained", f"{drained['drain_per_s']:.0f} executions/s  ({drained['count']} "
                            "started with no worker running, then the pool started; first "
                            "claim -> last finish)"),
        ("no-op Dramatiq msgs/s", f"{baseline['per_s']:.0f}  ({baseline['count']} messages, "
                                  f"{baseline['per_s'] / args.processes:.0f} per process)"),
        ("pool time per step", f"{step_cost:.2f} ms  (backlog executions/s x {STEPS_RUN} "
                               "steps)"),
        ("pool time per no-op msg", f"{message_cost:.2f} ms"),
        ("step / no-op ratio", f"{step_cost / message_cost:.1f}x  (target <= 3x)"),
        ("executions / no-op ratio", f"{drained['drain_per_s'] / baseline['per_s']:.3f}  "
                                     "(backlog)"),
        ("idle run: wall per step", f"{idle['wall_per_step']:.1f} ms (claim -> finished / "
                                    f"{STEPS_RUN}, median of {idle['samples']})"),
        ("Run now -> claimed", f"p50 {idle['claim_p50']:.0f} ms, p95 {idle['claim_p95']:.0f} ms "
                               "(idle queue; target < 100 ms)"),
        ("Run now -> first step", f"p50 {idle['step_p50']:.0f} ms, p95 {idle['step_p95']:.0f} ms"),
    ]))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
