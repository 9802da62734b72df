"""The condition builder: JSONLogic from field / operator / value rows in AND/OR groups.

Shape written: ``{"and"|"or": [group, ...]}`` where each group is ``{"and"|"or": [row, ...]}``
and a row is a comparison such as ``{">": [{"var": "trigger.total"}, 100]}``. Rules of that
shape (and a bare row or group) read back into rows; anything else an expert typed stays as
raw JSON, editable in the JSON box.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

OPERATORS: list[tuple[str, str]] = [
    ("==", "is"),
    ("!=", "is not"),
    (">", "is more than"),
    (">=", "is at least"),
    ("<", "is less than"),
    ("<=", "is at most"),
    ("contains", "contains"),
    ("empty", "is empty"),
    ("not_empty", "is not empty"),
]
_COMPARE = {"==", "!=", ">", ">=", "<", "<="}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclasses.dataclass
class RuleRow:
    field: str = ""
    op: str = "=="
    value: str = ""


@dataclasses.dataclass
class RuleGroup:
    join: str = "and"
    rows: list[RuleRow] = dataclasses.field(default_factory=lambda: [RuleRow()])


def typed(text: str) -> Any:
    """What a typed value means: a number, true/false, or the text itself."""
    stripped = text.strip()
    if _NUMBER.match(stripped):
        return float(stripped) if "." in stripped else int(stripped)
    if stripped in ("true", "false"):
        return stripped == "true"
    return text


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def row_rule(row: RuleRow) -> dict[str, Any]:
    field = {"var": row.field.strip()}
    if row.op == "contains":
        return {"in": [typed(row.value), field]}
    if row.op == "empty":
        return {"!": field}
    if row.op == "not_empty":
        return {"!!": field}
    op = row.op if row.op in _COMPARE else "=="
    return {op: [field, typed(row.value)]}


def groups_rule(join: str, groups: list[RuleGroup]) -> dict[str, Any]:
    """The JSONLogic rule for groups of rows (always the two-level shape)."""
    outer = "or" if join == "or" else "and"
    return {outer: [{("or" if g.join == "or" else "and"): [row_rule(r) for r in g.rows]}
                    for g in groups]}  # fmt: skip


def _var(value: Any) -> str | None:
    if isinstance(value, dict) and set(value) == {"var"} and isinstance(value["var"], str):
        return value["var"]
    return None


def _row(rule: Any) -> RuleRow | None:
    if not isinstance(rule, dict) or len(rule) != 1:
        return None
    op, args = next(iter(rule.items()))
    if op in ("!", "!!"):
        field = _var(args[0] if isinstance(args, list) and len(args) == 1 else args)
        return RuleRow(field, "empty" if op == "!" else "not_empty", "") if field is not None \
            else None  # fmt: skip
    if not isinstance(args, list) or len(args) != 2:
        return None
    if op == "in":
        field = _var(args[1])
        if field is None or isinstance(args[0], dict | list):
            return None
        return RuleRow(field, "contains", _shown(args[0]))
    if op in _COMPARE:
        field = _var(args[0])
        if field is None or isinstance(args[1], dict | list):
            return None
        return RuleRow(field, op, _shown(args[1]))
    return None


def _group(rule: Any) -> RuleGroup | None:
    if isinstance(rule, dict) and len(rule) == 1:
        join, items = next(iter(rule.items()))
        if join in ("and", "or") and isinstance(items, list) and items:
            rows = [_row(item) for item in items]
            if all(rows):
                return RuleGroup(join, [r for r in rows if r])
    row = _row(rule)
    return RuleGroup("and", [row]) if row else None


def parse_rule(rule: Any) -> tuple[str, list[RuleGroup]] | None:
    """(outer join, groups) when the rule has a shape the builder draws, else None."""
    if isinstance(rule, dict) and len(rule) == 1:
        join, items = next(iter(rule.items()))
        if join in ("and", "or") and isinstance(items, list) and items:
            groups = [_group(item) for item in items]
            if all(groups):
                return join, [g for g in groups if g]
    group = _group(rule)
    return ("and", [group]) if group else None
