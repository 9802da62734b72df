"""Editing a workflow draft as the canvas does: add, connect, move and delete steps.

Pure functions over the draft dict (the same JSON the engine stores), so they are easy to
test and the state class stays a thin layer. The canvas's trigger node is not a step: the
document's entry is the step without incoming connections, drawn linked to the trigger.
"""

from __future__ import annotations

import copy
import re
from typing import Any

TRIGGER_NODE = "trigger"
PLAIN_HANDLE = "out"
STEP_KINDS: dict[str, tuple[str, str]] = {
    "condition": ("Condition", "Go one way or another (if / else)."),
    "switch": ("Switch", "Pick one of several paths by rules, with a default."),
    "for_each": ("For each", "Repeat steps for every item of a list."),
    "delay": ("Delay", "Wait a while, or until a time."),
    "sub_workflow": ("Run another workflow", "Call another workflow and use its result."),
    "stop": ("Stop", "End the run here, as a success or a failure."),
}
KIND_LABELS = {
    "trigger": "Trigger",
    "action": "Action",
    **{kind: label for kind, (label, _) in STEP_KINDS.items()},
}
TRIGGER_LABELS = {
    "manual": "Run by hand",
    "schedule": "On a schedule",
    "event": "When something happens",
    "webhook": "When another app calls",
}


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = f"step_{slug}".strip("_")
    return slug[:50]


def unique_id(doc: dict[str, Any], base: str) -> str:
    taken = {s.get("id") for s in doc.get("steps", [])} | {TRIGGER_NODE}
    stem = _slug(base)
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}_{number}" in taken:
        number += 1
    return f"{stem}_{number}"


def new_step(key: str, step_id: str, name: str, x: float, y: float) -> dict[str, Any]:
    """A fresh step of a kind (``condition`` …) or an action (``http.request`` …)."""
    base: dict[str, Any] = {"id": step_id, "name": name, "position": {"x": x, "y": y}}
    blank_rule = {"==": [{"var": ""}, ""]}
    if key == "condition":
        return {**base, "kind": "condition", "rule": blank_rule}
    if key == "switch":
        return {**base, "kind": "switch", "cases": [{"name": "case_1", "rule": blank_rule}]}
    if key == "for_each":
        return {**base, "kind": "for_each", "items": {"var": "trigger.items"}, "concurrency": 1}
    if key == "delay":
        return {**base, "kind": "delay", "seconds": 60}
    if key == "sub_workflow":
        return {**base, "kind": "sub_workflow", "workflow_id": "", "inputs": {}}
    if key == "stop":
        return {**base, "kind": "stop", "outcome": "succeed", "message": ""}
    return {**base, "kind": "action", "action": key, "inputs": {}}


def add_step(
    doc: dict[str, Any], key: str, name: str, x: float, y: float
) -> tuple[dict[str, Any], str]:
    """The draft with a new step at (x, y), and the new step's ID."""
    result = copy.deepcopy(doc)
    step_id = unique_id(result, name)
    result.setdefault("steps", []).append(new_step(key, step_id, name, x, y))
    return result, step_id


def step_of(doc: dict[str, Any], step_id: str) -> dict[str, Any] | None:
    return next((s for s in doc.get("steps", []) if s.get("id") == step_id), None)


def handles(step: dict[str, Any]) -> list[dict[str, str]]:
    """The outgoing handles a step offers (branch labels), in display order."""
    kind = step.get("kind")
    if kind == "condition":
        return [{"id": "true", "label": "Yes"}, {"id": "false", "label": "No"}]
    if kind == "switch":
        names = [c.get("name", "") for c in step.get("cases", []) if c.get("name")]
        return [{"id": n, "label": n} for n in names] + [{"id": "default", "label": "Otherwise"}]
    if kind == "for_each":
        return [{"id": "body", "label": "Each item"}, {"id": "done", "label": "Then"}]
    if kind == "stop":
        return []
    return [{"id": PLAIN_HANDLE, "label": ""}]


def connect(doc: dict[str, Any], source: str, target: str, handle: str) -> dict[str, Any]:
    """The draft with ``source -> target`` on ``handle`` (ignored if pointless or repeated)."""
    if source in (TRIGGER_NODE, target) or target == TRIGGER_NODE:
        return doc  # the trigger always starts the step that nothing else leads to
    step = step_of(doc, source)
    if step is None or step_of(doc, target) is None:
        return doc
    if handle not in {h["id"] for h in handles(step)}:
        return doc
    branch = None if handle in ("", PLAIN_HANDLE) else handle
    edge = {"source": source, "target": target, **({"branch": branch} if branch else {})}
    if any(_same(e, edge) for e in doc.get("edges", [])):
        return doc
    result = copy.deepcopy(doc)
    result.setdefault("edges", []).append(edge)
    return result


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (a.get("source"), a.get("target"), a.get("branch")) == (
        b.get("source"),
        b.get("target"),
        b.get("branch"),
    )


def edge_id(edge: dict[str, Any]) -> str:
    return f"{edge.get('source')}->{edge.get('target')}:{edge.get('branch') or ''}"


def move(doc: dict[str, Any], moves: list[dict[str, Any]]) -> dict[str, Any]:
    result = copy.deepcopy(doc)
    for item in moves:
        step = step_of(result, str(item.get("id", "")))
        if step is not None:  # the trigger node has no stored position
            step["position"] = {"x": float(item.get("x", 0)), "y": float(item.get("y", 0))}
    return result


def delete_steps(doc: dict[str, Any], step_ids: list[str]) -> dict[str, Any]:
    gone = set(step_ids) - {TRIGGER_NODE}
    result = copy.deepcopy(doc)
    result["steps"] = [s for s in result.get("steps", []) if s.get("id") not in gone]
    result["edges"] = [
        e for e in result.get("edges", []) if e.get("source") not in gone
        and e.get("target") not in gone
    ]  # fmt: skip
    return result


def delete_edges(doc: dict[str, Any], edge_ids: list[str]) -> dict[str, Any]:
    gone = set(edge_ids)
    result = copy.deepcopy(doc)
    result["edges"] = [e for e in result.get("edges", []) if edge_id(e) not in gone]
    return result


def rename_branch(doc: dict[str, Any], source: str, old: str, new: str) -> None:
    """Keep connections attached when a switch case is renamed (in place)."""
    for edge in doc.get("edges", []):
        if edge.get("source") == source and edge.get("branch") == old:
            edge["branch"] = new


# ---------------------------------------------------------------- canvas view


def _default_position(index: int) -> dict[str, float]:
    return {"x": 120.0, "y": 140.0 + 120.0 * index}


def canvas_nodes(
    doc: dict[str, Any], problems: dict[str, list[str]], action_names: dict[str, str]
) -> list[dict[str, Any]]:
    """React Flow nodes: the trigger, then one node per step (with its problems)."""
    trigger = doc.get("trigger") or {}
    nodes = [{
        "id": TRIGGER_NODE,
        "type": "step",
        "position": {"x": 120.0, "y": 0.0},
        "deletable": False,
        "data": {
            "label": TRIGGER_LABELS.get(trigger.get("kind", "manual"), "Trigger"),
            "kind": "trigger",
            "kindLabel": "Trigger",
            "handles": [{"id": PLAIN_HANDLE, "label": ""}],
            "problems": len(problems.get(TRIGGER_NODE, [])),
            "problem": (problems.get(TRIGGER_NODE) or [""])[0],
        },
    }]  # fmt: skip
    for index, step in enumerate(doc.get("steps", [])):
        kind = step.get("kind", "action")
        found = problems.get(step.get("id", ""), [])
        kind_label = KIND_LABELS.get(kind, kind)
        if kind == "action":
            kind_label = action_names.get(step.get("action", ""), step.get("action", "Action"))
        nodes.append({
            "id": step.get("id", f"step_{index}"),
            "type": "step",
            "position": step.get("position") or _default_position(index),
            "data": {
                "label": step.get("name") or step.get("id"),
                "kind": kind,
                "kindLabel": kind_label,
                "handles": handles(step),
                "problems": len(found),
                "problem": found[0] if found else "",
            },
        })  # fmt: skip
    return nodes


def canvas_edges(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """React Flow edges: the document's connections plus trigger -> entry step(s)."""
    edges = []
    targets = set()
    labels = {"true": "Yes", "false": "No", "default": "Otherwise", "body": "Each item",
              "done": "Then"}  # fmt: skip
    for edge in doc.get("edges", []):
        branch = edge.get("branch") or ""
        targets.add(edge.get("target"))
        edges.append({
            "id": edge_id(edge),
            "source": edge.get("source"),
            "target": edge.get("target"),
            "sourceHandle": branch or PLAIN_HANDLE,
            "targetHandle": "in",
            "label": labels.get(branch, branch),
            "type": "smoothstep",
        })  # fmt: skip
    for step in doc.get("steps", []):
        if step.get("id") not in targets:
            edges.append({
                "id": f"{TRIGGER_NODE}->{step.get('id')}",
                "source": TRIGGER_NODE,
                "target": step.get("id"),
                "sourceHandle": PLAIN_HANDLE,
                "targetHandle": "in",
                "deletable": False,
                "animated": True,
                "type": "smoothstep",
            })  # fmt: skip
    return edges


def earlier_steps(doc: dict[str, Any], step_id: str) -> list[str]:
    """Steps with a path to ``step_id`` (their output may be used), nearest first."""
    parents: dict[str, list[str]] = {}
    for edge in doc.get("edges", []):
        parents.setdefault(edge.get("target", ""), []).append(edge.get("source", ""))
    seen: list[str] = []
    frontier = list(parents.get(step_id, []))
    while frontier:
        current = frontier.pop(0)
        if current in seen or current == step_id:
            continue
        seen.append(current)
        frontier.extend(parents.get(current, []))
    return seen


def loop_of(doc: dict[str, Any], step_id: str) -> str | None:
    """The for-each step whose body contains ``step_id`` (so ``item`` is available)."""
    for edge in doc.get("edges", []):
        if edge.get("branch") == "body":
            body = edge.get("target")
            if body == step_id or body in earlier_steps(doc, step_id):
                return edge.get("source")
    return None
