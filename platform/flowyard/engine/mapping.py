"""Data mapping: turn a step's declared inputs into concrete values at run time.

An input value is one of:

* a **JSONLogic expression** - a dict with exactly one key that is a known operator, e.g.
  ``{"var": "steps.find_contact.output.email"}`` - evaluated by
  :func:`flowyard.engine.conditions.evaluate` against the run context;
* a **string template** - ``"Invoice {{trigger.number}} paid"`` - where each ``{{path}}`` is a
  dotted path into the context (a missing value or ``null`` renders as ``""``, other non-string
  values are rendered as JSON). Substitution is a single regex pass: nothing is ``eval``-ed,
  no ``str.format`` is involved, and substituted text is never re-scanned for templates;
* any other **plain JSON value**; dicts (that aren't expressions) and lists are resolved
  item by item, so expressions and templates may sit anywhere inside them.

Strings *inside* a JSONLogic expression are JSONLogic literals, not templates.

The context is ``{"trigger": {...}, "steps": {step_id: {"output": ...}}, "vars": {...},
"item": ...}``; paths use the same dotted syntax as JSONLogic ``var`` (list items by index).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from flowyard.engine import conditions

__all__ = [
    "MAX_INPUT_DEPTH",
    "MappingError",
    "expression_paths",
    "is_expression",
    "lookup_path",
    "referenced_paths",
    "render_template",
    "resolve_inputs",
    "template_paths",
]

MAX_INPUT_DEPTH = 32
"""Deepest nesting of literal objects/lists in a step's inputs."""

TEMPLATE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
"""``{{ path }}``: braces may not nest; surrounding whitespace is ignored."""

_MISSING: Any = object()
# Iterators whose later arguments run against each *item*, not the run context.
_ITERATORS = {"map": (0,), "filter": (0,), "all": (0,), "some": (0,), "none": (0,)}
_REDUCE_CONTEXT_ARGS = (0, 2)


class MappingError(ValueError):
    """An input could not be resolved; ``message`` is plain English, ``field`` locates it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def is_expression(value: Any) -> bool:
    """True when ``value`` is a JSONLogic expression: exactly one key, a known operator."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in conditions.OPERATORS


def lookup_path(data: Any, path: str, default: Any = None) -> Any:
    """Follow a dotted path (``a.b.0.c``) through dicts and lists, like JSONLogic ``var``."""
    if path == "":
        return data
    current = data
    for segment in path.split("."):
        if isinstance(current, Mapping) and segment in current:
            current = current[segment]
        elif (
            isinstance(current, list | tuple) and segment.isdigit() and int(segment) < len(current)
        ):
            current = current[int(segment)]
        else:
            return default
    return current


def _index_ok(segment: str, items: list[Any] | tuple[Any, ...]) -> bool:
    return segment.isdigit() and int(segment) < len(items)


def _render(value: Any) -> str:
    if value is None or value is _MISSING:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        return str(value)


def render_template(template: str, context: Any) -> str:
    """Fill every ``{{path}}`` in ``template`` from ``context`` (missing values become "")."""
    return TEMPLATE.sub(lambda m: _render(lookup_path(context, m.group(1), _MISSING)), template)


def template_paths(template: str) -> set[str]:
    """The dotted paths a template string reads."""
    return {m.group(1) for m in TEMPLATE.finditer(template) if m.group(1)}


def _var_path(arg: Any) -> str | None:
    if isinstance(arg, list):
        arg = arg[0] if arg else None
    if isinstance(arg, bool) or not isinstance(arg, str | int | float):
        return None
    return str(int(arg)) if isinstance(arg, float) and arg.is_integer() else str(arg)


def _val_path(arg: Any) -> str | None:
    if isinstance(arg, str):
        return arg
    if isinstance(arg, list) and arg and all(_is_segment(s) for s in arg):
        return ".".join(str(s) for s in arg)
    return None  # scoped (``[[1], ...]``) or computed: not a context path


def _is_segment(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _iter_rule_paths(rule: Any) -> Iterator[str]:
    """Yield static context paths (recursion is bounded: rules are depth-checked first)."""
    if isinstance(rule, list):
        for item in rule:
            yield from _iter_rule_paths(item)
        return
    if not is_expression(rule):
        if isinstance(rule, dict):
            for item in rule.values():
                yield from _iter_rule_paths(item)
        return
    ((op, args),) = rule.items()
    arg_list = args if isinstance(args, list) else [args]
    if op == "var":
        path = _var_path(args)
        if path:
            yield path
        if isinstance(args, list):
            for item in args:
                if isinstance(item, dict | list):
                    yield from _iter_rule_paths(item)
        return
    if op == "val":
        path = _val_path(args)
        if path:
            yield path
        return
    if op == "missing":
        for item in arg_list:
            if isinstance(item, str) and item:
                yield item
            else:
                yield from _iter_rule_paths(item)
        return
    if op == "missing_some":
        if len(arg_list) == 2 and isinstance(arg_list[1], list):
            yield from (p for p in arg_list[1] if isinstance(p, str) and p)
        return
    if op in _ITERATORS or op == "reduce":
        indexes = _REDUCE_CONTEXT_ARGS if op == "reduce" else _ITERATORS[op]
        for index in indexes:
            if index < len(arg_list):
                yield from _iter_rule_paths(arg_list[index])
        return
    for item in arg_list:
        yield from _iter_rule_paths(item)


def expression_paths(rule: Any) -> set[str]:
    """Static context paths a JSONLogic rule reads via ``var``/``val``/``missing``.

    Paths read inside ``map``/``filter``/``all``/``some``/``none``/``reduce`` bodies refer to
    the current item, not the run context, so they are left out; computed paths are too.
    """
    conditions.compile_rule(rule)  # refuses rules too big/deep to walk safely
    return set(_iter_rule_paths(rule))


def referenced_paths(inputs: Any) -> set[str]:
    """Every context path the inputs read: expression ``var`` paths and template paths.

    Used by validation to check that ``steps.X`` references point at earlier steps. Raises
    :class:`~flowyard.engine.conditions.ConditionError` for an invalid expression and
    :class:`MappingError` for inputs nested deeper than :data:`MAX_INPUT_DEPTH`.
    """
    found: set[str] = set()
    stack: list[tuple[Any, int]] = [(inputs, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_INPUT_DEPTH:
            raise MappingError("These inputs are nested too deeply.")
        if is_expression(value):
            found |= expression_paths(value)
        elif isinstance(value, str):
            found |= template_paths(value)
        elif isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)
    return found


def _where(parent: str | None, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent or ''}[{key}]"
    return f"{parent}.{key}" if parent else key


LITERAL_MARKER = "x-flowyard-literal"
"""Set on an input property's JSON Schema (``json_schema_extra``) when the action evaluates
that value itself — e.g. a JSONLogic rule applied to each list item — so mapping passes it
through untouched and validation doesn't read its ``var`` paths as references to the run."""


def literal_fields(schema: Mapping[str, Any] | None) -> set[str]:
    """Top-level input names whose schema carries :data:`LITERAL_MARKER`."""
    properties = (schema or {}).get("properties") or {}
    return {name for name, spec in properties.items() if (spec or {}).get(LITERAL_MARKER)}


def resolve_action_inputs(
    inputs: Mapping[str, Any], context: Mapping[str, Any], literal: set[str]
) -> dict[str, Any]:
    """Resolve an action's inputs, passing the ``literal`` ones through as written."""
    resolved = resolve_inputs({k: v for k, v in inputs.items() if k not in literal}, context)
    return {**resolved, **{k: v for k, v in inputs.items() if k in literal}}


def resolve_inputs(inputs: Any, context: Mapping[str, Any]) -> Any:
    """Resolve expressions and templates anywhere in ``inputs`` against the run ``context``.

    Returns new plain-JSON data; ``inputs`` is not modified. The context is serialised for
    the JSONLogic engine at most once per call, however many expressions there are.
    """
    prepared: conditions.PreparedData | None = None

    def resolve(value: Any, field: str | None, depth: int) -> Any:
        nonlocal prepared
        if depth > MAX_INPUT_DEPTH:
            raise MappingError("These inputs are nested too deeply.", field=field)
        if is_expression(value):
            if prepared is None:
                prepared = conditions.prepare_data(dict(context))
            try:
                return conditions.evaluate(value, prepared)
            except conditions.ConditionError as exc:
                label = f'The value for "{field}"' if field else "This value"
                raise MappingError(
                    f"{label} couldn't be worked out. {exc.message}", field=field
                ) from exc
        if isinstance(value, str):
            return render_template(value, context) if "{{" in value else value
        if isinstance(value, dict):
            return {k: resolve(v, _where(field, k), depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [resolve(v, _where(field, i), depth + 1) for i, v in enumerate(value)]
        return value

    return resolve(inputs, None, 0)
