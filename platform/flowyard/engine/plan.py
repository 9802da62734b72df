"""A published document turned into the lookup tables the runner needs, built once per version.

The top-level graph and each for-each body are *scopes*: small DAGs with one entry step.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowyard.engine import conditions
from flowyard.engine.document import (
    ConditionStep,
    Edge,
    EventTrigger,
    ForEachStep,
    Step,
    SwitchStep,
    WorkflowDocument,
)


@dataclass
class Scope:
    entry: str | None
    steps: set[str]
    incoming: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class Plan:
    document: WorkflowDocument
    steps: dict[str, Step]
    top: Scope
    bodies: dict[str, Scope]
    outgoing: dict[str, list[Edge]]

    def scope_of_body(self, for_each_id: str) -> Scope:
        return self.bodies[for_each_id]


def _reachable(start: str, outgoing: dict[str, list[Edge]], stop_at: set[str]) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in outgoing.get(node, []):
            if edge.target not in stop_at:
                stack.append(edge.target)
    return seen


def build_plan(document: WorkflowDocument) -> Plan:
    """Index steps and edges; carve each for-each body out of the graph that contains it."""
    steps = {s.id: s for s in document.steps}
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    for edge in document.edges:
        outgoing[edge.source].append(edge)
    bodies_members: dict[str, set[str]] = {}
    for step in document.steps:
        if isinstance(step, ForEachStep):
            body_starts = [e.target for e in outgoing[step.id] if e.branch == "body"]
            members: set[str] = set()
            for start in body_starts:
                members |= _reachable(start, outgoing, stop_at={step.id})
            bodies_members[step.id] = members

    def make_scope(members: set[str], entry: str | None) -> Scope:
        scope = Scope(entry=entry, steps=members)
        for edge in document.edges:
            if edge.target in members and edge.source in members and edge.branch != "body":
                scope.incoming[edge.target].append(edge)
        return scope

    nested = set().union(*bodies_members.values()) if bodies_members else set()
    top_members = set(steps) - nested
    targets = {e.target for e in document.edges}
    top_entry = next((s.id for s in document.steps if s.id not in targets), None)
    bodies = {}
    for loop_id, members in bodies_members.items():
        starts = [e.target for e in outgoing[loop_id] if e.branch == "body"]
        bodies[loop_id] = make_scope(members, starts[0] if starts else None)
    plan = Plan(document, steps, make_scope(top_members, top_entry), bodies, dict(outgoing))
    _precompile(plan)
    return plan


def _precompile(plan: Plan) -> None:
    """Compile every rule once per version (conditions caches compiled rules)."""
    for step in plan.document.steps:
        if isinstance(step, ConditionStep):
            conditions.compile_rule(step.rule)
        elif isinstance(step, SwitchStep):
            for case in step.cases:
                conditions.compile_rule(case.rule)
    trigger = plan.document.trigger
    if isinstance(trigger, EventTrigger) and trigger.filter is not None:
        conditions.compile_rule(trigger.filter)


_lock = threading.Lock()
_plans: OrderedDict[str, Plan] = OrderedDict()
PLAN_CACHE_SIZE = 512


def plan_for(version_id: str, load_document: Callable[[], dict[str, Any]]) -> Plan:
    """The plan of an immutable version, cached by id (versions never change once stored)."""
    with _lock:
        plan = _plans.get(version_id)
        if plan is not None:
            _plans.move_to_end(version_id)
            return plan
    plan = build_plan(WorkflowDocument.model_validate(load_document()))
    with _lock:
        _plans[version_id] = plan
        while len(_plans) > PLAN_CACHE_SIZE:
            _plans.popitem(last=False)
    return plan
