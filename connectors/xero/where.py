"""The subset of Xero's ``where`` filter the sandbox understands.

Clauses joined by ``&&`` or ``AND``; each is ``Path==literal``, ``Path!=literal`` or
``Path.Contains|StartsWith|EndsWith("text")``; literals are "strings", ``Guid("…")``, numbers,
``true``/``false``/``null``; paths may be dotted (``Invoice.InvoiceID``). String comparison ignores
case, as Xero's does. Anything else is a parse error, answered 400 like Xero's QueryParseException.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

_CLAUSE = re.compile(
    r"^\s*(?P<path>[A-Za-z]\w*(?:\.[A-Za-z]\w*)*?)\s*"
    r"(?:(?P<op>==|!=)\s*(?P<literal>.+?)"
    r"|\.(?P<method>Contains|StartsWith|EndsWith)\(\s*(?P<arg>.+?)\s*\))\s*$"
)
_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"$')
_GUID = re.compile(r'^Guid\(\s*"([0-9a-fA-F-]{36})"\s*\)$')

Predicate = Callable[[Mapping[str, Any]], bool]


class WhereError(ValueError):
    """The filter is outside what we (and usually Xero) can parse."""


def _split(text: str) -> list[str]:
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        ch = text[i]
        if ch == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if not quoted and (text.startswith("&&", i) or text.startswith(" AND ", i)):
            parts.append("".join(current))
            current = []
            i += 2 if text.startswith("&&", i) else 5
            continue
        current.append(ch)
        i += 1
    if quoted:
        raise WhereError("Unterminated string in where filter.")
    parts.append("".join(current))
    return parts


def _literal(raw: str) -> Any:
    raw = raw.strip()
    if match := _STRING.match(raw):
        return re.sub(r"\\(.)", r"\1", match.group(1))
    if match := _GUID.match(raw):
        return match.group(1).lower()
    lowered = raw.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    if lowered == "null":
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise WhereError(f"Cannot parse value {raw!r} in where filter.") from None


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value


def _normal(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    return value


def _clause(text: str) -> Predicate:
    match = _CLAUSE.match(text)
    if not match:
        raise WhereError(f"Cannot parse where clause {text.strip()!r}.")
    path = match.group("path")
    if match.group("op"):
        wanted = _normal(_literal(match.group("literal")))
        negate = match.group("op") == "!="
        return lambda record: (_normal(_lookup(record, path)) == wanted) != negate
    arg = _literal(match.group("arg"))
    if not isinstance(arg, str):
        raise WhereError(f"{match.group('method')} needs a string argument.")
    needle = arg.lower()
    test = {
        "Contains": lambda s: needle in s,
        "StartsWith": lambda s: s.startswith(needle),
        "EndsWith": lambda s: s.endswith(needle),
    }[match.group("method")]
    return lambda record: isinstance(v := _lookup(record, path), str) and test(v.lower())


def compile_where(text: str | None) -> Predicate:
    """A predicate over a Xero record (its JSON shape) for ``text``; no filter matches all."""
    if not text or not text.strip():
        return lambda _record: True
    clauses = [_clause(part) for part in _split(text)]
    return lambda record: all(clause(record) for clause in clauses)
