"""Flowyard's one wrapper around the ``datalogic_py`` JSONLogic engine.

Every JSONLogic rule a tenant writes (condition steps, switch cases, event filters, mapping
expressions) goes through this module, so the safety rules live in one place:

* **Core operators only.** The engine is built with ``families=[]``: only the library's
  ``Core`` family (the operators of the original jsonlogic.com spec) is compiled. The
  extension families (``exists``, ``??``, ``switch``, ``type``, ``try``/``throw``, string,
  array, object, math, date/time incl. the non-deterministic ``now``, tensor, flagd) are off,
  so a rule means the same thing in every JSONLogic implementation a tenant might test with.
  No custom operators are registered. The one exception we cannot switch off is ``val``: the
  library implements ``var`` as an alias of ``val`` inside ``Core`` itself. It is a pure,
  read-only lookup, so we accept it rather than fork the engine.
* **Bounded work.** Rules are shape-checked *in Python, iteratively* before they reach the
  native code (depth, node count, text size) because the library's own dict walker can
  overflow the native stack on very deep input; they are then handed over as JSON text,
  whose parser has its own nesting limit. Every evaluation runs under an operation budget
  (the library's metering), so an untrusted rule over big data is cut off in milliseconds.
* **Strings are values.** A Python ``str`` rule or datum means the JSON *string*, never JSON
  text to parse: ``"apple"`` as a rule evaluates to ``"apple"``. (The library treats a bare
  ``str`` as JSON text, which is the one case of the official suite it fails when called
  directly; we always serialise with :func:`json.dumps` ourselves.)

Failures of any kind surface as :class:`ConditionError` with a plain-English ``message``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import functools
import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

import datalogic_py

__all__ = [
    "DEFAULT_OPS_BUDGET",
    "MAX_RULE_CHARS",
    "MAX_RULE_DEPTH",
    "MAX_RULE_NODES",
    "OPERATORS",
    "CompiledRule",
    "ConditionError",
    "PreparedData",
    "compile_rule",
    "evaluate",
    "is_truthy",
    "prepare_data",
    "test",
]

MAX_RULE_DEPTH = 64
"""Deepest nesting of objects/arrays in a rule (one operator is usually two levels)."""
MAX_RULE_NODES = 10_000
"""Most JSON values (objects, arrays, scalars) one rule may contain."""
MAX_RULE_CHARS = 100_000
"""Longest canonical JSON text of one rule."""
DEFAULT_OPS_BUDGET = 200_000
"""Operations one evaluation may charge (about a millisecond of native work per 100k)."""

_ENGINE = datalogic_py.Engine(families=[], config={"ops_budget": DEFAULT_OPS_BUDGET})

OPERATORS: frozenset[str] = frozenset(
    name for op in _ENGINE.operators() for name in (op["name"], *op["aliases"])
)
"""Every operator name (incl. aliases such as ``var`` and ``?:``) our engine accepts."""

_TOO_COMPLEX = (
    "This condition is too complex to run safely. Try splitting it into smaller conditions."
)


class ConditionError(ValueError):
    """A rule could not be compiled or evaluated; ``message`` is safe to show to end users.

    ``code`` is a stable machine tag (``too_complex``, ``invalid_rule``, ``invalid_data``,
    ``evaluation_failed``); ``detail`` carries the technical reason for logs.
    """

    def __init__(self, message: str, *, code: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True, eq=False)
class CompiledRule:
    """A rule checked and compiled once; thread-safe and cheap to evaluate many times."""

    source: str
    """Canonical JSON text of the rule (sorted keys, no whitespace); also the cache key."""
    native: datalogic_py.Rule


@dataclass(frozen=True, slots=True)
class PreparedData:
    """Data serialised to JSON once, for evaluating many rules against the same context."""

    json_text: str


def _json_default(value: Any) -> Any:
    """Serialise the few non-JSON Python types a workflow context can realistically hold."""
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def _dumps(value: Any, *, sort_keys: bool = False) -> str:
    return json.dumps(
        value,
        default=_json_default,
        sort_keys=sort_keys,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def _check_rule_shape(rule: Any) -> None:
    """Refuse rules too deep or too big *before* any recursive code (ours or native) sees them."""
    stack: list[tuple[Any, int]] = [(rule, 1)]
    nodes = 0
    while stack:
        value, depth = stack.pop()
        nodes += 1
        if nodes > MAX_RULE_NODES or depth > MAX_RULE_DEPTH:
            detail = f"more than {MAX_RULE_NODES} values or deeper than {MAX_RULE_DEPTH} levels"
            raise ConditionError(_TOO_COMPLEX, code="too_complex", detail=detail)
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ConditionError(
                        "This condition isn't valid: every field name must be text.",
                        code="invalid_rule",
                        detail=f"non-string key {key!r}",
                    )
                stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise ConditionError(
                "This condition isn't valid: it contains a number that isn't finite.",
                code="invalid_rule",
                detail=repr(value),
            )
        elif value is not None and not isinstance(value, str | bool | int | float):
            raise ConditionError(
                "This condition isn't valid: it contains something that isn't plain data.",
                code="invalid_rule",
                detail=f"unsupported type {type(value).__name__}",
            )


def _describe_diagnostics(diagnostics: list[Any]) -> str:
    errors = [d for d in diagnostics if d.get("severity") == "error"] or diagnostics
    first = errors[0] if errors else {}
    if first.get("code") == "UnknownOperator" and first.get("operator"):
        return f'This condition uses an operation that doesn\'t exist: "{first["operator"]}".'
    where = first.get("pointer") or "/"
    return f"This condition isn't valid ({first.get('message', 'unknown problem')} at {where})."


@functools.lru_cache(maxsize=4096)
def _compile_canonical(source: str) -> CompiledRule:
    try:
        native = _ENGINE.compile_checked(source)
    except datalogic_py.CompileError as exc:
        raise ConditionError(
            _describe_diagnostics(list(exc.diagnostics)), code="invalid_rule", detail=str(exc)
        ) from exc
    except datalogic_py.DataLogicError as exc:
        raise _translate(exc, compiling=True) from exc
    return CompiledRule(source=source, native=native)


def compile_rule(rule: Any) -> CompiledRule:
    """Check and compile ``rule`` once (LRU-cached by canonical JSON); publishing calls this.

    Raises :class:`ConditionError` for rules that are too big/deep, use unknown or disabled
    operators, or are otherwise malformed, so bad rules are refused before any run.
    """
    if isinstance(rule, CompiledRule):
        return rule
    _check_rule_shape(rule)
    source = _dumps(rule, sort_keys=True)
    if len(source) > MAX_RULE_CHARS:
        raise ConditionError(
            _TOO_COMPLEX, code="too_complex", detail=f"{len(source)} chars > {MAX_RULE_CHARS}"
        )
    return _compile_canonical(source)


def prepare_data(data: Any) -> PreparedData:
    """Serialise ``data`` once so many evaluations against it skip re-serialising."""
    if isinstance(data, PreparedData):
        return data
    try:
        return PreparedData(_dumps(data))
    except RecursionError as exc:
        raise ConditionError(
            "The data this condition reads is nested too deeply to check.",
            code="invalid_data",
            detail="recursion limit while serialising",
        ) from exc
    except (TypeError, ValueError) as exc:
        raise ConditionError(
            "The data this condition reads contains something that isn't plain data.",
            code="invalid_data",
            detail=str(exc),
        ) from exc


def _translate(exc: datalogic_py.DataLogicError, *, compiling: bool = False) -> ConditionError:
    kind = getattr(exc, "error_type", "") or ""
    detail = f"{kind}: {exc}"
    if kind == "BudgetExceeded" or (kind == "ConfigurationError" and "depth" in str(exc)):
        return ConditionError(_TOO_COMPLEX, code="too_complex", detail=detail)
    if isinstance(exc, datalogic_py.ParseError) and not compiling:
        return ConditionError(
            "The data this condition reads couldn't be read (it may be nested too deeply).",
            code="invalid_data",
            detail=detail,
        )
    if compiling:
        return ConditionError(
            f"This condition isn't valid: {exc}", code="invalid_rule", detail=detail
        )
    operator = getattr(exc, "operator", None)
    where = f' in the "{operator}" operation' if operator else ""
    return ConditionError(
        f"This condition couldn't be worked out{where}: {exc}",
        code="evaluation_failed",
        detail=detail,
    )


def _run(rule: Any, data: Any, budget: int) -> str:
    compiled = compile_rule(rule)
    prepared = prepare_data(data)
    try:
        result_json, _ops = compiled.native.evaluate_metered(prepared.json_text, budget)
    except datalogic_py.DataLogicError as exc:
        raise _translate(exc) from exc
    return result_json


def evaluate(rule: Any, data: Any = None, *, budget: int = DEFAULT_OPS_BUDGET) -> Any:
    """Evaluate ``rule`` against ``data`` and return the raw JSONLogic result (plain JSON)."""
    return json.loads(_run(rule, data, budget))


def test(rule: Any, data: Any = None, *, budget: int = DEFAULT_OPS_BUDGET) -> bool:
    """Evaluate ``rule`` and coerce the result with the engine's JSONLogic truthiness.

    Uses the same truthiness the engine applies inside ``if``/``and``/``or`` (``[]``, ``""``,
    ``0``, ``null`` and - in this library - ``{}`` are false), so a condition step and an
    ``if`` over the same rule always agree. ``{"and": []}`` yields ``null`` and so ``False``.
    """
    return _ENGINE.truthy(_run(rule, data, budget))


def is_truthy(value: Any) -> bool:
    """JSONLogic truthiness of an already-computed value (same rules as :func:`test`)."""
    return _ENGINE.truthy(prepare_data(value).json_text)


test.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
