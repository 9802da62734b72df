"""Validate a workflow document before it is saved or published.

:func:`validate_document` never raises for a bad document: it returns every
:class:`Problem` it can find, each with a plain-English message a non-technical user can act
on, plus the step and field it is about so the canvas can highlight them.

Graph rules (see :mod:`flowyard.engine.document`): exactly one step has no incoming edge and
it is the entry; the graph is acyclic; every step is reachable from the entry. A step may use
``steps.X`` data only if ``X`` runs before it on *every* path from the entry (``X``
dominates it); ``item`` only inside a ``for_each`` body. Action inputs are checked against
the action's JSON Schema (literal values only: expressions and templates are only known at
run time).
"""

from __future__ import annotations

import datetime as _dt
import re
import zoneinfo
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import jsonschema
from croniter import croniter
from pydantic import ValidationError

from flowyard.engine import conditions, mapping
from flowyard.engine.document import (
    ActionStep,
    ConditionStep,
    DelayStep,
    EventTrigger,
    ForEachStep,
    ScheduleTrigger,
    Step,
    StopStep,
    SubWorkflowStep,
    SwitchStep,
    WorkflowDocument,
)

__all__ = ["ActionCatalog", "DictCatalog", "Problem", "validate_document"]

CONTEXT_ROOTS = ("trigger", "steps", "vars", "item")
_KIND_LABELS = {
    "action": "an action",
    "condition": "a condition",
    "switch": "a switch",
    "for_each": "a for-each loop",
    "delay": "a delay",
    "sub_workflow": "a sub-workflow",
    "stop": "a stop",
}
# jsonschema validators that are about the *shape* of the inputs, so they stay meaningful
# even when some values are only known at run time.
_STRUCTURAL = {
    "required",
    "additionalProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
    "minItems",
    "maxItems",
    "unevaluatedProperties",
    "dependentRequired",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a document; ``message`` is written for end users."""

    message: str
    step_id: str | None = None
    field: str | None = None


class ActionCatalog(Protocol):
    """Where validation learns which actions exist and what inputs they take."""

    def input_schema(self, action_key: str) -> dict[str, Any] | None:
        """JSON Schema of the action's inputs, or None when the action doesn't exist."""
        ...


class DictCatalog:
    """An in-memory :class:`ActionCatalog` (tests, previews): ``{action_key: input_schema}``."""

    def __init__(self, schemas: Mapping[str, dict[str, Any]]) -> None:
        self._schemas = dict(schemas)

    def input_schema(self, action_key: str) -> dict[str, Any] | None:
        return self._schemas.get(action_key)


# ---------------------------------------------------------------- schema errors


def _raw_step(raw: Any, index: Any) -> Mapping[str, Any]:
    steps = raw.get("steps") if isinstance(raw, Mapping) else None
    if isinstance(steps, list) and isinstance(index, int) and 0 <= index < len(steps):
        item = steps[index]
        if isinstance(item, Mapping):
            return item
    return {}


def _schema_problem(raw: Any, error: Mapping[str, Any]) -> Problem:
    loc = list(error["loc"])
    step_id: str | None = None
    if loc[:1] == ["steps"] and len(loc) >= 2:
        step = _raw_step(raw, loc[1])
        sid, name = step.get("id"), step.get("name")
        step_id = sid if isinstance(sid, str) else None
        label = name if isinstance(name, str) and name.strip() else step_id
        subject = f'Step "{label}"' if label else f"Step {int(loc[1]) + 1}"
        rest = loc[3:] if len(loc) > 2 and loc[2] == step.get("kind") else loc[2:]
    elif loc[:1] == ["trigger"]:
        subject, rest = "The trigger", loc[2:] if len(loc) > 1 else []
    elif loc[:1] == ["edges"] and len(loc) >= 2:
        subject, rest = f"Connection {int(loc[1]) + 1}", loc[2:]
    else:
        subject, rest = "The workflow", loc
    if error["type"] == "recursion_depth_exceeded":
        rest = rest[:1]  # the rest of the location is JSON-value nesting noise
    field = ".".join(str(part) for part in rest) or None
    return Problem(_schema_message(subject, field, error), step_id=step_id, field=field)


def _schema_message(subject: str, field: str | None, error: Mapping[str, Any]) -> str:
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    quoted = f'"{field}"' if field else "it"
    if kind == "missing":
        return f"{subject} is missing the setting {quoted}."
    if kind == "extra_forbidden":
        return f"{subject} has a setting we don't recognise: {quoted}."
    if kind == "union_tag_invalid":
        return f'{subject} is of an unknown kind "{ctx.get("tag")}".'
    if kind == "union_tag_not_found":
        return f'{subject} needs a "kind" (for example "action" or "condition").'
    if kind == "string_pattern_mismatch" and field in ("id", "source", "target"):
        return (
            f'{subject} has an invalid step ID "{value}": use lowercase letters, digits and '
            "underscores, starting with a letter (at most 64 characters)."
        )
    if kind == "string_pattern_mismatch" and field == "action":
        return f'{subject} has an invalid action "{value}": it should look like "app.action".'
    if kind == "recursion_depth_exceeded":
        return f"{subject}: {quoted} is nested too deeply. Simplify it."
    if kind in ("greater_than_equal", "greater_than"):
        limit = _number(ctx.get("ge", ctx.get("gt")))
        return f"{subject}: {quoted} is {value}, but it must be at least {limit}."
    if kind in ("less_than_equal", "less_than"):
        limit = _number(ctx.get("le", ctx.get("lt")))
        return f"{subject}: {quoted} is {value}, but it can be at most {limit}."
    if kind == "literal_error":
        return f"{subject}: {quoted} must be one of {ctx.get('expected')}."
    if kind in ("string_too_short", "too_short") and ctx.get("min_length") == 1:
        return f"{subject}: {quoted} can't be empty."
    if kind == "value_error":
        reason = str(ctx.get("error", error["msg"]))
        return f"{subject}: {reason}." if field is None else f"{subject}: {quoted}: {reason}."
    message = str(error["msg"])
    message = f"{message[:1].lower()}{message[1:]}"
    return f"{subject}: {quoted}: {message}." if field else f"{subject}: {message}."


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


# ---------------------------------------------------------------- graph helpers


@dataclass
class _Graph:
    steps: dict[str, Step]
    succ: dict[str, list[tuple[str, str | None]]]
    pred: dict[str, list[str]]

    def label(self, step_id: str) -> str:
        step = self.steps.get(step_id)
        return f'"{step.name}"' if step else f'"{step_id}"'


def _reach(graph: _Graph, starts: Iterable[str], blocked: str | None = None) -> set[str]:
    seen: set[str] = set()
    queue = deque(s for s in starts if s != blocked)
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        queue.extend(t for t, _ in graph.succ[node] if t != blocked and t not in seen)
    return seen


def _find_cycle(graph: _Graph) -> list[str] | None:
    """One cycle (as a path that returns to its start), found with an iterative DFS."""
    colour: dict[str, int] = dict.fromkeys(graph.steps, 0)
    for root in graph.steps:
        if colour[root]:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(t for t, _ in graph.succ[root]))]
        path = [root]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                return [*path[path.index(child) :], child]
            elif colour[child] == 0:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(t for t, _ in graph.succ[child])))
    return None


def _dominators(graph: _Graph, entries: list[str], order: list[str]) -> dict[str, set[str]]:
    """For each reachable step, the steps that run before it on every path (itself included)."""
    dom: dict[str, set[str]] = {}
    for node in order:
        preds = [p for p in graph.pred[node] if p in dom]
        if node in entries or not preds:
            dom[node] = {node}
        else:
            dom[node] = set.intersection(*(dom[p] for p in preds)) | {node}
    return dom


def _topological(graph: _Graph, nodes: set[str]) -> list[str]:
    indegree = {n: sum(1 for p in graph.pred[n] if p in nodes) for n in nodes}
    queue = deque(sorted(n for n, d in indegree.items() if d == 0))
    order: list[str] = []
    while queue:
        node = queue.popleft()
        order.append(node)
        for target, _ in graph.succ[node]:
            if target in indegree:
                indegree[target] -= 1
                if indegree[target] == 0:
                    queue.append(target)
    return order


# ---------------------------------------------------------------- the validator


class _Validator:
    def __init__(self, doc: WorkflowDocument, catalog: ActionCatalog) -> None:
        self.doc = doc
        self.catalog = catalog
        self.problems: list[Problem] = []
        self.entries: list[str] = []
        self.cycle: list[str] | None = None

    def add(self, message: str, step_id: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(message, step_id=step_id, field=field))

    def run(self) -> list[Problem]:
        self.check_trigger()
        graph = self.check_structure()
        for step in self.doc.steps:
            if graph.steps.get(step.id) is step:
                self.check_step(step)
        self.check_references(graph)
        return self.problems

    # -- trigger

    def check_trigger(self) -> None:
        trigger = self.doc.trigger
        if isinstance(trigger, ScheduleTrigger):
            cron = trigger.cron.strip()
            if len(cron.split()) != 5 or not croniter.is_valid(cron):
                self.add(
                    f'The schedule "{trigger.cron}" isn\'t a valid cron expression. Use five '
                    'fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5".',
                    field="trigger.cron",
                )
            if trigger.timezone is not None:
                try:
                    zoneinfo.ZoneInfo(trigger.timezone)
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    self.add(
                        f"The schedule's time zone \"{trigger.timezone}\" isn't one we know. "
                        'Use a name like "Pacific/Auckland" or "Europe/London".',
                        field="trigger.timezone",
                    )
        elif isinstance(trigger, EventTrigger) and trigger.filter is not None:
            self.check_event_filter(trigger.filter)

    def check_event_filter(self, rule: Any) -> None:
        if not self.check_rule(rule, "The trigger's filter", None, "trigger.filter"):
            return
        for path in sorted(mapping.expression_paths(rule)):
            if path.split(".")[0] != "trigger":
                self.add(
                    "The trigger's filter can only use the event's data (\"trigger...\"), "
                    f'not "{path}".',
                    field="trigger.filter",
                )

    # -- structure

    def check_structure(self) -> _Graph:
        steps: dict[str, Step] = {}
        for step in self.doc.steps:
            if step.id in steps:
                self.add(
                    f'Two steps share the ID "{step.id}" ({steps[step.id].name!r} and '
                    f"{step.name!r}). Each step needs its own ID.",
                    step_id=step.id,
                    field="id",
                )
            else:
                steps[step.id] = step
        graph = _Graph(steps, defaultdict(list), defaultdict(list))
        for index, edge in enumerate(self.doc.edges):
            field = f"edges.{index}"
            missing = [end for end in (edge.source, edge.target) if end not in steps]
            if missing:
                known = edge.source if edge.source in steps else edge.target
                self.add(
                    f'A connection points to a step that doesn\'t exist: "{missing[0]}".',
                    step_id=known if known in steps else None,
                    field=field,
                )
                continue
            if self.check_branch(steps[edge.source], edge.branch, field):
                graph.succ[edge.source].append((edge.target, edge.branch))
                graph.pred[edge.target].append(edge.source)
        if not steps:
            self.add("This workflow has no steps yet. Add at least one step after the trigger.")
            return graph
        for step in steps.values():
            if isinstance(step, SwitchStep):
                names = [case.name for case in step.cases]
                for name in {n for n in names if names.count(n) > 1 or n == "default"}:
                    self.add(
                        f'Switch "{step.name}" has a case named "{name}" more than once or uses '
                        'the reserved name "default". Give each case its own name.',
                        step_id=step.id,
                        field="cases",
                    )
            if isinstance(step, ForEachStep):
                bodies = [t for t, b in graph.succ[step.id] if b == "body"]
                if len(bodies) != 1:
                    self.add(
                        f'Loop "{step.name}" needs exactly one step connected as its body '
                        f"(found {len(bodies)}).",
                        step_id=step.id,
                        field="edges",
                    )
        entries = [sid for sid in steps if not graph.pred[sid]]
        if len(entries) > 1:
            names = ", ".join(graph.label(e) for e in entries)
            self.add(
                f"Your workflow has more than one first step ({names}). Only one step may come "
                "straight after the trigger; connect the others after it.",
                step_id=entries[1],
            )
        cycle = _find_cycle(graph)
        if cycle:
            path = " → ".join(graph.label(s) for s in cycle)
            self.add(
                f"These steps form a loop: {path}. To repeat work, use a for-each step instead.",
                step_id=cycle[0],
            )
        reached = _reach(graph, entries)
        for sid in steps:
            if sid not in reached:
                self.add(
                    f"Step {graph.label(sid)} is never reached: nothing connects to it from the "
                    "start of the workflow.",
                    step_id=sid,
                )
        for step in steps.values():
            if isinstance(step, ForEachStep) and not cycle:
                body = _reach(graph, [t for t, b in graph.succ[step.id] if b == "body"])
                after = _reach(graph, [t for t, b in graph.succ[step.id] if b != "body"])
                for sid in sorted(body & after):
                    self.add(
                        f'Step {graph.label(sid)} is inside the loop "{step.name}" and also '
                        "after it. Steps in a loop body can't connect to steps after the loop.",
                        step_id=sid,
                    )
        self.entries, self.cycle = entries, cycle
        return graph

    def check_branch(self, source: Step, branch: str | None, field: str) -> bool:
        allowed: set[str] | None
        if isinstance(source, ConditionStep):
            allowed, hint = {"true", "false"}, '"true" or "false"'
        elif isinstance(source, SwitchStep):
            allowed = {case.name for case in source.cases} | {"default"}
            hint = 'one of its case names or "default"'
        elif isinstance(source, ForEachStep):
            allowed, hint = {"body", "done"}, '"body" or "done"'
        elif isinstance(source, StopStep):
            self.add(
                f'Step "{source.name}" stops the workflow, so nothing can come after it.',
                step_id=source.id,
                field=field,
            )
            return False
        else:
            allowed, hint = None, ""
        if allowed is None and branch is not None:
            self.add(
                f'A connection from "{source.name}" is labelled "{branch}", but only conditions, '
                "switches and loops have labelled paths.",
                step_id=source.id,
                field=field,
            )
            return False
        if allowed is not None and branch not in allowed:
            got = f'labelled "{branch}"' if branch else "not labelled"
            self.add(
                f'A connection from {_KIND_LABELS[source.kind]} "{source.name}" is {got}; '
                f"it must be labelled {hint}.",
                step_id=source.id,
                field=field,
            )
            return False
        return True

    # -- per step

    def check_rule(self, rule: Any, subject: str, step_id: str | None, field: str) -> bool:
        try:
            conditions.compile_rule(rule)
        except conditions.ConditionError as exc:
            self.add(f"{subject}: {exc.message}", step_id=step_id, field=field)
            return False
        return True

    def check_mapping(self, value: Any, subject: str, step_id: str, field: str) -> bool:
        ok = True
        stack: list[tuple[Any, str]] = [(value, field)]
        while stack:
            item, where = stack.pop()
            if mapping.is_expression(item):
                ok = self.check_rule(item, subject, step_id, where) and ok
            elif isinstance(item, dict):
                stack.extend((v, f"{where}.{k}") for k, v in item.items())
            elif isinstance(item, list):
                stack.extend((v, f"{where}.{i}") for i, v in enumerate(item))
        return ok

    def check_step(self, step: Step) -> None:
        subject = f'Step "{step.name}"'
        if isinstance(step, ActionStep):
            self.check_mapping(step.inputs, subject, step.id, "inputs")
            schema = self.catalog.input_schema(step.action)
            if schema is None:
                self.add(
                    f'{subject} uses an action that doesn\'t exist: "{step.action}".',
                    step_id=step.id,
                    field="action",
                )
            else:
                self.check_inputs(step, schema)
        elif isinstance(step, ConditionStep):
            self.check_rule(step.rule, subject, step.id, "rule")
        elif isinstance(step, SwitchStep):
            for index, case in enumerate(step.cases):
                case_subject = f'{subject}, case "{case.name}"'
                self.check_rule(case.rule, case_subject, step.id, f"cases.{index}.rule")
        elif isinstance(step, ForEachStep):
            if isinstance(step.items, str) or not (
                isinstance(step.items, list) or mapping.is_expression(step.items)
            ):
                self.add(
                    f'{subject} needs a list to go through, such as {{"var": "trigger.lines"}}.',
                    step_id=step.id,
                    field="items",
                )
            else:
                self.check_mapping(step.items, subject, step.id, "items")
        elif isinstance(step, DelayStep) and step.until is not None:
            self.check_delay_until(step, subject)
        elif isinstance(step, SubWorkflowStep):
            self.check_mapping(step.inputs, subject, step.id, "inputs")

    def check_delay_until(self, step: DelayStep, subject: str) -> None:
        until = step.until
        if isinstance(until, str) and "{{" not in until:
            try:
                _dt.datetime.fromisoformat(until)
            except ValueError:
                self.add(
                    f'{subject} waits until "{until}", which isn\'t a date and time we can read. '
                    'Use a form like "2025-01-31T09:00:00+13:00".',
                    step_id=step.id,
                    field="until",
                )
        elif not isinstance(until, str) and not mapping.is_expression(until):
            self.add(
                f"{subject} needs a date and time to wait until, or an expression computing it.",
                step_id=step.id,
                field="until",
            )
        else:
            self.check_mapping(until, subject, step.id, "until")

    def check_inputs(self, step: ActionStep, schema: dict[str, Any]) -> None:
        try:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
        except jsonschema.SchemaError:
            self.add(
                f'Step "{step.name}": the action "{step.action}" has a broken input definition; '
                "please contact support.",
                step_id=step.id,
                field="inputs",
            )
            return
        validator = cls(schema)
        errors = sorted(validator.iter_errors(step.inputs), key=lambda e: list(e.absolute_path))
        for error in errors:
            path = list(error.absolute_path)
            if error.validator not in _STRUCTURAL and _touches_runtime_value(step.inputs, path):
                continue
            self.add(
                _input_message(step, error, path),
                step_id=step.id,
                field=".".join(["inputs", *map(str, path)]),
            )

    # -- references

    def check_references(self, graph: _Graph) -> None:
        entries = self.entries
        order = [] if self.cycle else _topological(graph, _reach(graph, entries))
        dom = _dominators(graph, entries, order)
        loop_bodies: dict[str, set[str]] = {}
        for sid, step in graph.steps.items():
            if isinstance(step, ForEachStep) and order:
                loop_bodies[sid] = _reach(graph, [t for t, b in graph.succ[sid] if b == "body"])
        in_loop = set().union(*loop_bodies.values()) if loop_bodies else set()
        for step in graph.steps.values():
            for path in sorted(self.step_paths(step)):
                self.check_path(graph, step, path, dom, in_loop, bool(order))
        for path in sorted(self.safe_paths(self.doc.summary_template, mapping.template_paths)):
            root, _, rest = path.partition(".")
            target = rest.split(".")[0]
            if root not in CONTEXT_ROOTS or root == "item":
                self.add(
                    f'The summary uses "{{{{{path}}}}}", which isn\'t available at the end of '
                    'a run. Start paths with "trigger.", "steps." or "vars.".',
                    field="summary_template",
                )
            elif root == "steps" and target not in graph.steps:
                self.add(
                    f'The summary uses data from a step that doesn\'t exist: "{target}".',
                    field="summary_template",
                )

    def safe_paths(self, value: Any, finder: Any) -> set[str]:
        try:
            return set(finder(value))
        except (conditions.ConditionError, mapping.MappingError):
            return set()  # reported by the rule/mapping checks

    def step_paths(self, step: Step) -> set[str]:
        refs = mapping.referenced_paths
        if isinstance(step, ActionStep):
            literal = mapping.literal_fields(self.catalog.input_schema(step.action))
            inputs = {k: v for k, v in step.inputs.items() if k not in literal}
            return self.safe_paths(inputs, refs)
        if isinstance(step, SubWorkflowStep):
            return self.safe_paths(step.inputs, refs)
        if isinstance(step, ConditionStep):
            return self.safe_paths(step.rule, mapping.expression_paths)
        if isinstance(step, SwitchStep):
            found: set[str] = set()
            for case in step.cases:
                found |= self.safe_paths(case.rule, mapping.expression_paths)
            return found
        if isinstance(step, ForEachStep):
            return self.safe_paths(step.items, refs)
        if isinstance(step, DelayStep):
            return self.safe_paths(step.until, refs)
        if isinstance(step, StopStep):
            return self.safe_paths(step.message, mapping.template_paths)
        return set()

    def check_path(
        self,
        graph: _Graph,
        step: Step,
        path: str,
        dom: dict[str, set[str]],
        in_loop: set[str],
        ordered: bool,
    ) -> None:
        subject = f'Step "{step.name}"'
        root, _, rest = path.partition(".")
        if root not in CONTEXT_ROOTS:
            self.add(
                f'{subject} uses "{path}", which isn\'t data a workflow has. Paths start with '
                '"trigger.", "steps.", "vars." or "item.".',
                step_id=step.id,
            )
            return
        if root == "item":
            if ordered and step.id not in in_loop:
                self.add(
                    f'{subject} uses "{path}", but "item" only exists inside a for-each loop.',
                    step_id=step.id,
                )
            return
        if root != "steps":
            return
        target = rest.split(".")[0]
        if target not in graph.steps:
            self.add(
                f'{subject} uses data from a step that doesn\'t exist: "{target}".',
                step_id=step.id,
            )
        elif target == step.id:
            self.add(f"{subject} uses its own result, which isn't ready yet.", step_id=step.id)
        elif ordered and step.id in dom and target not in dom[step.id]:
            other = graph.label(target)
            ancestors = _reach(_reverse(graph), [step.id])
            reason = (
                "which might not have run by then (it is on a different branch)"
                if target in ancestors
                else "which doesn't run before it"
            )
            self.add(f"{subject} uses data from {other}, {reason}.", step_id=step.id)


def _reverse(graph: _Graph) -> _Graph:
    succ: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for target, sources in graph.pred.items():
        succ[target].extend((s, None) for s in sources)
    return _Graph(graph.steps, succ, defaultdict(list))


def _touches_runtime_value(inputs: Any, path: list[Any]) -> bool:
    """True when the value at ``path`` (or above/below it) is only known at run time."""
    node = inputs
    for part in path:
        if _is_runtime(node):
            return True
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return False
    stack = [node]
    while stack:
        item = stack.pop()
        if _is_runtime(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _is_runtime(value: Any) -> bool:
    return mapping.is_expression(value) or (isinstance(value, str) and "{{" in value)


def _input_message(step: ActionStep, error: jsonschema.ValidationError, path: list[Any]) -> str:
    subject = f'Step "{step.name}"'
    where = f'the "{".".join(map(str, path))}" input' if path else "its inputs"
    if error.validator == "required":
        found = re.findall(r"'([^']*)'", error.message)
        missing = found[0] if found else error.message
        return f'{subject} is missing the required input "{missing}".'
    if error.validator == "additionalProperties":
        names = ", ".join(f'"{n}"' for n in re.findall(r"'([^']*)'", error.message))
        return f"{subject} has inputs this action doesn't accept: {names or error.message}."
    if error.validator == "type":
        return f"{subject}: {where} must be {_type_words(error.validator_value)}."
    if error.validator == "enum":
        options = ", ".join(f'"{v}"' for v in error.validator_value)
        return f"{subject}: {where} must be one of {options}."
    return f"{subject}: {where} is not valid ({error.message})."


def _type_words(expected: Any) -> str:
    words = {
        "string": "text",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "object": "a group of fields",
        "array": "a list",
        "null": "empty",
    }
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(words.get(str(n), str(n)) for n in names)


def validate_document(
    doc: WorkflowDocument | Mapping[str, Any], catalog: ActionCatalog
) -> list[Problem]:
    """Every problem in ``doc`` (a model or raw dict), in plain English; ``[]`` means valid.

    Schema errors are reported first and alone: the deeper checks need a well-formed document.
    """
    if not isinstance(doc, WorkflowDocument):
        try:
            doc = WorkflowDocument.model_validate(doc)
        except ValidationError as exc:
            return [_schema_problem(doc, err) for err in exc.errors(include_url=False)]
    return _Validator(doc, catalog).run()
