"""Executes one workflow run, step by step, checkpointing as it goes.

One Dramatiq message runs an execution as far as it can: until it finishes, or must wait
(a delay, a retry backoff, a sub-workflow). Completed steps are read back from ``step_run``
rows and never run again; a step that was in flight when a worker died runs again with the
same idempotency key. Steps that do no I/O (conditions, switches, transforms) are
checkpointed in one batch just before the next I/O step or wait, which is what makes
short workflows cheap.

Dead-path elimination decides what runs: a step becomes ready once every incoming edge is
settled (taken or dead) and at least one was taken; if none was taken it is skipped.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from flowyard import clock
from flowyard.engine import checkpoints, conditions, context, invoke, mapping, payloads, retry
from flowyard.engine.document import (
    ActionStep,
    ConditionStep,
    DelayStep,
    Edge,
    ForEachStep,
    Step,
    StopStep,
    SubWorkflowStep,
    SwitchStep,
)
from flowyard.engine.leases import LeaseKeeper
from flowyard.engine.models import Execution, ExecutionStatus, StepRun, StepStatus
from flowyard.engine.plan import Plan, Scope
from marketplace.sdk import ActionError, RateLimitedError

log = logging.getLogger("flowyard.engine")
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"
LEASES = LeaseKeeper(WORKER_ID)


class Waiting(Exception):
    """The run must pause until ``until`` (a delay, a retry backoff, a sub-workflow)."""

    def __init__(self, until: datetime | None) -> None:
        self.until = until


class Stopped(Exception):
    """A stop step ended the run."""

    def __init__(self, outcome: str, message: str) -> None:
        self.outcome = outcome
        self.message = message


class Cancelled(Exception):
    """Someone pressed Cancel: stop before the next step that reaches the outside world."""


class StepFailed(Exception):
    def __init__(self, step: Step, error: ActionError) -> None:
        self.step = step
        self.error = error


@dataclass
class RunView:
    """What the runner knows about one step run (mirrors a ``step_run`` row)."""

    step_id: str
    item_path: str
    status: str
    branch: str | None = None
    output: Any = None
    error: dict[str, Any] | None = None
    attempts: int = 1
    started_at: datetime | None = None
    next_attempt_at: datetime | None = None
    row_id: uuid.UUID | None = None


@dataclass
class Outcome:
    """How far one message got: finished, or paused until ``wake_at``."""

    status: ExecutionStatus
    wake_at: datetime | None = None
    children: list[uuid.UUID] = field(default_factory=list)


def idempotency_key(execution_id: uuid.UUID, step_id: str, item_path: str) -> str:
    """Stable across attempts and redeliveries of the same step, unique per execution."""
    return f"fy-{execution_id}-{step_id}{'-' + item_path if item_path else ''}"


class ExecutionRunner:
    """Runs an execution the current worker holds the lease on."""

    def __init__(self, db: Session, execution: Execution | Any, plan: Plan) -> None:
        self.db = db
        self.execution = execution
        self.plan = plan
        self.runs: dict[tuple[str, str], RunView] = {}
        self.pending: list[RunView] = []
        self.trigger = payloads.unpack(execution.trigger_payload)
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.children: list[uuid.UUID] = []
        self.document = plan.document

    # ---------------------------------------------------------------- loading and saving

    def load_runs(self) -> None:
        rows = self.db.exec(select(StepRun).where(StepRun.execution_id == self.execution.id)).all()
        for row in rows:
            self.runs[(row.step_id, row.item_path)] = RunView(
                step_id=row.step_id,
                item_path=row.item_path,
                status=row.status,
                branch=row.branch,
                output=payloads.unpack(row.output),
                error=row.error,
                attempts=row.attempts,
                started_at=row.started_at,
                next_attempt_at=row.next_attempt_at,
                row_id=row.id,
            )

    def _row_values(self, view: RunView, inputs: Any = None) -> dict[str, Any]:
        now = clock.now()
        finished = view.status in (StepStatus.SUCCEEDED, StepStatus.FAILED)
        started = view.started_at or now
        return {
            "id": view.row_id or uuid.uuid4(),
            "tenant_id": self.execution.tenant_id,
            "execution_id": self.execution.id,
            "step_id": view.step_id,
            "item_path": view.item_path,
            "status": str(view.status),
            "branch": view.branch,
            "inputs": payloads.pack(inputs) if inputs is not None else None,
            "output": payloads.pack(view.output),
            "error": view.error,
            "attempts": view.attempts,
            "idempotency_key": idempotency_key(self.execution.id, view.step_id, view.item_path),
            "started_at": started,
            "finished_at": now if finished else None,
            "next_attempt_at": view.next_attempt_at,
            "duration_ms": int((now - started).total_seconds() * 1000) if finished else None,
        }

    def save(self, view: RunView, inputs: Any = None, *, now: bool = True) -> None:
        """Queue a checkpoint; ``now`` writes it (and everything queued before) immediately."""
        self.pending.append(view)
        view._inputs = inputs  # type: ignore[attr-defined]
        if now:
            self.flush()

    def take_pending(self) -> list[dict[str, Any]]:
        """The queued checkpoints as rows (marking them written); the caller writes them."""
        values = [self._row_values(v, getattr(v, "_inputs", None)) for v in self.pending]
        for view, value in zip(self.pending, values, strict=True):
            view.row_id = value["id"]
            view.started_at = value["started_at"]
        self.pending.clear()
        return values

    def flush(self, *, commit: bool = True) -> None:
        """Write queued checkpoints in one statement (upsert on the unique key) and commit —
        or leave the commit to the caller that pauses or finishes the run in the same
        transaction, which saves a round trip per execution."""
        if not self.pending:
            return
        checkpoints.save_steps(self.db, self.take_pending())
        if commit:
            self.db.commit()

    # ---------------------------------------------------------------- graph walking

    def run(self) -> Outcome:
        """Walk the graph as far as it goes now; checkpoints still queued when this returns
        are written by the caller together with the outcome."""
        ctx = context.base_context(
            self.trigger, str(self.execution.id), str(self.execution.workflow_id)
        )
        try:
            self.run_scope(self.plan.top, ctx, "")
        except Waiting as waiting:
            return Outcome(ExecutionStatus.WAITING, waiting.until, self.children)
        except Cancelled:
            self.final_context = ctx
            return Outcome(ExecutionStatus.CANCELLED, children=self.children)
        except Stopped as stopped:
            self.stop_message = stopped.message
            status = (
                ExecutionStatus.SUCCEEDED
                if stopped.outcome == "succeed"
                else ExecutionStatus.FAILED
            )
            if status is ExecutionStatus.FAILED:
                self.failure = {
                    "message": stopped.message or "The workflow stopped with a failure.",
                    "kind": "stopped",
                }
            self.final_context = ctx
            return Outcome(status, children=self.children)
        except StepFailed as failed:
            self.failure = {
                "message": failed.error.message,
                "kind": failed.error.kind,
                "step_id": failed.step.id,
                "step_name": failed.step.name,
            }
            self.final_context = ctx
            return Outcome(ExecutionStatus.FAILED, children=self.children)
        self.final_context = ctx
        return Outcome(ExecutionStatus.SUCCEEDED, children=self.children)

    def _edge_state(self, edge: Edge, prefix: str) -> str:
        """ "taken", "dead" or "open" for an edge inside a scope."""
        view = self.runs.get((edge.source, prefix))
        if view is None:
            return "dead" if self._is_dead(edge.source, prefix) else "open"
        if view.status == StepStatus.SKIPPED:
            return "dead"
        if view.status == StepStatus.SUCCEEDED:
            source = self.plan.steps[edge.source]
            if isinstance(source, ConditionStep | SwitchStep):
                return "taken" if edge.branch == view.branch else "dead"
            if isinstance(source, ForEachStep):
                return "taken" if edge.branch == "done" else "dead"
            return "taken"
        return "open"

    def _is_dead(self, step_id: str, prefix: str) -> bool:
        view = self.runs.get((step_id, prefix))
        return view is not None and view.status == StepStatus.SKIPPED

    def run_scope(self, scope: Scope, ctx: dict[str, Any], prefix: str) -> None:
        """Run every step of a scope that becomes ready, in dependency order."""
        for (step_id, path), view in self.runs.items():
            if path == prefix and step_id in scope.steps and view.status == StepStatus.SUCCEEDED:
                context.record_output(ctx, step_id, view.output)
        progressed = True
        while progressed:
            progressed = False
            for step_id in self._ordered(scope):
                view = self.runs.get((step_id, prefix))
                if view is not None and view.status in (StepStatus.SUCCEEDED, StepStatus.SKIPPED):
                    continue
                readiness = self._readiness(scope, step_id, prefix)
                if readiness == "wait":
                    continue
                if readiness == "skip":
                    skipped = RunView(step_id, prefix, StepStatus.SKIPPED)
                    self.runs[(step_id, prefix)] = skipped
                    self.save(skipped, now=False)
                    progressed = True
                    continue
                self.run_step(self.plan.steps[step_id], ctx, prefix)
                progressed = True

    def _ordered(self, scope: Scope) -> list[str]:
        return [s.id for s in self.plan.document.steps if s.id in scope.steps]

    def _readiness(self, scope: Scope, step_id: str, prefix: str) -> str:
        if step_id == scope.entry:
            return "run"
        incoming = scope.incoming.get(step_id, [])
        if not incoming:
            return "skip"
        states = [self._edge_state(edge, prefix) for edge in incoming]
        if "open" in states:
            return "wait"
        return "run" if "taken" in states else "skip"

    # ---------------------------------------------------------------- steps

    def run_step(self, step: Step, ctx: dict[str, Any], prefix: str) -> None:
        key = (step.id, prefix)
        view = self.runs.get(key) or RunView(
            step.id, prefix, StepStatus.RUNNING, started_at=clock.now()
        )
        self.runs[key] = view
        if isinstance(step, ActionStep):
            self._action(step, view, ctx)
        elif isinstance(step, ConditionStep):
            view.branch = "true" if conditions.test(step.rule, ctx) else "false"
            self._succeed(view, {"result": view.branch == "true"}, ctx, now=False)
        elif isinstance(step, SwitchStep):
            view.branch = next(
                (case.name for case in step.cases if conditions.test(case.rule, ctx)), "default"
            )
            self._succeed(view, {"case": view.branch}, ctx, now=False)
        elif isinstance(step, ForEachStep):
            self._for_each(step, view, ctx, prefix)
        elif isinstance(step, DelayStep):
            self._delay(step, view, ctx)
        elif isinstance(step, SubWorkflowStep):
            self._sub_workflow(step, view, ctx)
        elif isinstance(step, StopStep):
            message = mapping.render_template(step.message, ctx) if step.message else ""
            self._succeed(view, {"outcome": step.outcome, "message": message}, ctx, now=False)
            raise Stopped(step.outcome, message)

    def _succeed(self, view: RunView, output: Any, ctx: dict[str, Any], *, now: bool) -> None:
        view.status = StepStatus.SUCCEEDED
        view.output = output
        view.error = None
        view.next_attempt_at = None
        context.record_output(ctx, view.step_id, output)
        self.save(view, now=now)

    def _action(self, step: ActionStep, view: RunView, ctx: dict[str, Any]) -> None:
        if view.status == StepStatus.WAITING and view.next_attempt_at:
            if view.next_attempt_at > clock.now():
                raise Waiting(view.next_attempt_at)
            view.attempts += 1
        io = invoke.performs_io(step.action)
        try:
            inputs = mapping.resolve_action_inputs(
                step.inputs, ctx, invoke.literal_inputs(step.action)
            )
        except (mapping.MappingError, conditions.ConditionError) as error:
            self._fail(step, view, ActionError(getattr(error, "message", str(error))), ctx)
            return
        if io:
            self._check_cancelled()
            view.status = StepStatus.RUNNING
            self.save(view, inputs)  # in flight: visible, and flushes pure steps before it
        try:
            output = invoke.invoke(
                step.action,
                inputs,
                tenant_id=self.execution.tenant_id,
                connection_id=step.connection_id,
                idempotency_key=idempotency_key(self.execution.id, step.id, view.item_path),
                timeout=float(step.timeout_seconds),
                emit=lambda event_type, payload: self.events.append((event_type, dict(payload))),
            )
        except ActionError as error:
            self._handle_error(step, view, error, ctx, inputs)
            return
        view.status = StepStatus.SUCCEEDED
        view.output = output
        view.error = None
        view.next_attempt_at = None
        context.record_output(ctx, step.id, output)
        self.save(view, inputs, now=io)

    def _check_cancelled(self) -> None:
        requested = self.db.execute(
            text("SELECT cancel_requested FROM execution WHERE id = :id"),
            {"id": self.execution.id},
        ).scalar()
        if requested:
            raise Cancelled

    def _handle_error(
        self, step: ActionStep, view: RunView, error: ActionError, ctx: dict[str, Any], inputs: Any
    ) -> None:
        view.error = {"message": error.message, "kind": error.kind}
        if isinstance(error, RateLimitedError) and view.attempts < retry.MAX_RATE_LIMIT_DEFERRALS:
            wake = clock.now() + timedelta(seconds=retry.rate_limit_delay(error, step.retry))
            self._wait_retry(view, wake, inputs)
        if retry.should_retry(step.retry, error, view.attempts):
            wake = clock.now() + timedelta(seconds=retry.backoff_seconds(step.retry, view.attempts))
            self._wait_retry(view, wake, inputs)
        self._fail(step, view, error, ctx, inputs)

    def _wait_retry(self, view: RunView, wake: datetime, inputs: Any) -> None:
        view.status = StepStatus.WAITING
        view.next_attempt_at = wake
        self.save(view, inputs)
        raise Waiting(wake)

    def _fail(
        self, step: Step, view: RunView, error: ActionError, ctx: dict[str, Any], inputs: Any = None
    ) -> None:
        view.error = {"message": error.message, "kind": error.kind}
        if step.continue_on_error:
            view.status = StepStatus.SUCCEEDED
            view.output = {"error": view.error}
            context.record_output(ctx, step.id, view.output)
            self.save(view, inputs)
            return
        view.status = StepStatus.FAILED
        self.save(view, inputs)
        raise StepFailed(step, error)

    def _for_each(self, step: ForEachStep, view: RunView, ctx: dict[str, Any], prefix: str) -> None:
        try:
            items = mapping.resolve_inputs(step.items, ctx)
        except (mapping.MappingError, conditions.ConditionError) as error:
            self._fail(step, view, ActionError(getattr(error, "message", str(error))), ctx)
            return
        if not isinstance(items, list):
            self._fail(step, view, ActionError(f'"{step.name}" needs a list to loop over.'), ctx)
            return
        body = self.plan.scope_of_body(step.id)
        outputs: list[Any] = [None] * len(items)

        def one(index: int) -> None:
            child_prefix = f"{prefix}{step.id}[{index}]/"
            child_ctx = context.with_item(ctx, items[index], index)
            self.run_scope(body, child_ctx, child_prefix)
            outputs[index] = {
                k: v["output"] for k, v in child_ctx["steps"].items() if k in body.steps
            }

        if step.concurrency <= 1 or len(items) <= 1:
            for index in range(len(items)):
                one(index)
        else:
            self._parallel(one, len(items), step.concurrency)
        self._succeed(view, {"count": len(items), "items": outputs}, ctx, now=False)

    def _parallel(self, one: Any, count: int, concurrency: int) -> None:
        """Run iterations on threads; checkpoints stay serial (one DB session per runner)."""
        import threading

        lock = threading.Lock()
        original_save = self.save

        def locked_save(view: RunView, inputs: Any = None, *, now: bool = True) -> None:
            with lock:
                original_save(view, inputs, now=now)

        self.save = locked_save  # type: ignore[method-assign]
        try:
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                errors = [f.exception() for f in [pool.submit(one, i) for i in range(count)]]
        finally:
            self.save = original_save  # type: ignore[method-assign]
        for error in errors:
            if isinstance(error, StepFailed | Stopped):
                raise error
        waits = [e for e in errors if isinstance(e, Waiting)]
        if waits:
            raise Waiting(min((w.until for w in waits if w.until), default=None))
        for error in errors:
            if error is not None:
                raise error

    def _delay(self, step: DelayStep, view: RunView, ctx: dict[str, Any]) -> None:
        started = view.started_at or clock.now()
        view.started_at = started
        if step.seconds is not None:
            wake = started + timedelta(seconds=step.seconds)
        else:
            raw = mapping.resolve_inputs(step.until, ctx)
            try:
                wake = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
            except ValueError:
                self._fail(step, view, ActionError(f'"{step.name}": "{raw}" is not a time.'), ctx)
                return
            if wake.tzinfo is None:
                from datetime import UTC

                wake = wake.replace(tzinfo=UTC)
        if wake > clock.now():
            view.status = StepStatus.WAITING
            view.next_attempt_at = wake
            self.save(view)
            raise Waiting(wake)
        self._succeed(view, {"waited_until": wake.isoformat()}, ctx, now=False)

    def _sub_workflow(self, step: SubWorkflowStep, view: RunView, ctx: dict[str, Any]) -> None:
        from flowyard.engine import executions

        child_id = (view.output or {}).get("execution_id") if view.output else None
        if child_id is None:
            inputs = mapping.resolve_inputs(step.inputs, ctx)
            try:
                child = executions.start_child(self.db, self.execution, step, inputs)
            except executions.CannotStart as error:
                self._fail(step, view, ActionError(str(error)), ctx)
                return
            self.children.append(child.id)
            view.output = {"execution_id": str(child.id)}
            if not step.wait_for_output:
                self._succeed(view, view.output, ctx, now=True)
                return
            view.status = StepStatus.WAITING
            self.save(view)
            raise Waiting(None)
        child = self.db.get(Execution, uuid.UUID(child_id))
        if child is None or not ExecutionStatus(child.status).finished:
            raise Waiting(None)
        if child.status == ExecutionStatus.SUCCEEDED:
            self._succeed(
                view,
                {"execution_id": child_id, "output": payloads.unpack(child.result)},
                ctx,
                now=True,
            )
            return
        message = (child.error or {}).get("message", "The sub-workflow did not succeed.")
        self._fail(step, view, ActionError(f"Sub-workflow failed: {message}"), ctx)
