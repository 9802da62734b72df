"""Forms generated from an action's input JSON Schema, and values written back from them.

Each input becomes one :class:`FormField` of a simple kind the page knows how to draw:
``text``, ``number``, ``boolean``, ``choice`` (an enum), ``pairs`` (an object of free keys,
drawn as key/value rows), ``list`` (an array, one item per line) or ``json`` (anything else,
as JSON text). Objects with fixed properties (e.g. an HTTP request's ``auth``) are flattened
one level into ``auth.kind``, ``auth.token`` … A value may also be a reference to earlier data
(``{"var": "steps.x.output.y"}``), shown as a chip instead of an input.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

Json = Any


@dataclasses.dataclass
class Pair:
    key: str = ""
    text: str = ""
    ref: str = ""


@dataclasses.dataclass
class FormField:
    path: str = ""
    label: str = ""
    kind: str = "text"
    text: str = ""
    ref: str = ""
    options: list[str] = dataclasses.field(default_factory=list)
    required: bool = False
    hint: str = ""
    pairs: list[Pair] = dataclasses.field(default_factory=list)


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` and drop the ``null`` half of ``Optional`` unions."""
    for _ in range(5):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            schema = {**root.get("$defs", {}).get(ref.split("/")[-1], {}),
                      **{k: v for k, v in schema.items() if k != "$ref"}}  # fmt: skip
            continue
        options = schema.get("anyOf")
        if isinstance(options, list):
            real = [o for o in options if o.get("type") != "null"]
            if len(real) == 1:
                rest = {k: v for k, v in schema.items() if k != "anyOf"}
                schema = {**real[0], **rest}
                continue
        break
    return schema


def _label(name: str, schema: dict[str, Any]) -> str:
    title = schema.get("title") or name.replace("_", " ")
    return str(title)[:1].upper() + str(title)[1:]


def _kind(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "choice"
    kind = schema.get("type")
    if kind == "string":
        return "text"
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        return "list"
    if kind == "object" and "properties" not in schema:
        return "pairs"
    return "json"


def ref_of(value: Json) -> str:
    """The referenced path if ``value`` is ``{"var": "..."}``, else empty."""
    if isinstance(value, dict) and set(value) == {"var"} and isinstance(value["var"], str):
        return value["var"]
    return ""


def _text(value: Json, kind: str) -> str:
    if value is None:
        return ""
    if kind == "list" and isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return "\n".join(value)
        return json.dumps(value)
    if kind == "boolean":
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return json.dumps(value, indent=2)


def build_fields(schema: dict[str, Any] | None, inputs: dict[str, Any]) -> list[FormField]:
    """The form for an action: one field per input (fixed sub-objects flattened once)."""
    if not schema:
        return []
    fields: list[FormField] = []
    required = set(schema.get("required", []))
    for name, raw in (schema.get("properties") or {}).items():
        prop = _resolve(raw, schema)
        if prop.get("type") == "object" and "properties" in prop:
            inner_required = set(prop.get("required", []))
            current = inputs.get(name) if isinstance(inputs.get(name), dict) else {}
            for inner, inner_raw in prop["properties"].items():
                inner_prop = _resolve(inner_raw, schema)
                fields.append(_field(f"{name}.{inner}", f"{_label(name, raw)}: "
                                     f"{_label(inner, inner_prop).lower()}", inner_prop,
                                     current.get(inner), inner in inner_required))  # fmt: skip
            continue
        fields.append(_field(name, _label(name, prop), prop, inputs.get(name), name in required))
    return fields


def _field(path: str, label: str, prop: dict[str, Any], value: Json, required: bool) -> FormField:
    kind = _kind(prop)
    ref = ref_of(value)
    default = prop.get("default")
    shown = value if value is not None else None
    field = FormField(
        path=path,
        label=label,
        kind=kind,
        text="" if ref else _text(shown, kind),
        ref=ref,
        options=[str(o) for o in prop.get("enum", [])],
        required=required,
        hint=str(
            prop.get("description") or (f"Default: {default}" if default not in (None, "") else "")
        )[:300],
    )
    if kind == "pairs" and isinstance(value, dict) and not ref:
        field.pairs = [
            Pair(key=k, text="" if ref_of(v) else _text(v, "text"), ref=ref_of(v))
            for k, v in value.items()
        ]
    return field


# ---------------------------------------------------------------- writing values back

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_text(kind: str, text: str) -> Json:
    """The JSON value for what was typed into a field of ``kind`` (None means "not set")."""
    if kind == "number":
        stripped = text.strip()
        if not stripped:
            return None
        if _NUMBER.match(stripped):
            return float(stripped) if "." in stripped else int(stripped)
        return stripped  # kept as typed; validation explains what is wrong
    if kind == "boolean":
        return text == "true"
    if kind == "list":
        stripped = text.strip()
        if stripped.startswith("["):
            try:
                return json.loads(stripped)
            except ValueError:
                pass
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind == "json":
        stripped = text.strip()
        if not stripped:
            return None
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text if text != "" else None


def set_path(inputs: dict[str, Any], path: str, value: Json) -> dict[str, Any]:
    """``inputs`` with ``path`` (``a`` or ``a.b``) set, or removed when ``value`` is None."""
    result = json.loads(json.dumps(inputs))
    head, _, tail = path.partition(".")
    if tail:
        inner = result.get(head) if isinstance(result.get(head), dict) else {}
        if value is None:
            inner.pop(tail, None)
        else:
            inner[tail] = value
        if inner:
            result[head] = inner
        else:
            result.pop(head, None)
    elif value is None:
        result.pop(head, None)
    else:
        result[head] = value
    return result


def get_path(inputs: dict[str, Any], path: str) -> Json:
    head, _, tail = path.partition(".")
    value = inputs.get(head)
    if tail:
        return value.get(tail) if isinstance(value, dict) else None
    return value


def pairs_value(pairs: list[Pair]) -> dict[str, Any]:
    """Key/value rows as an object (rows without a key are kept out)."""
    result: dict[str, Any] = {}
    for pair in pairs:
        if pair.key.strip():
            result[pair.key.strip()] = {"var": pair.ref} if pair.ref else pair.text
    return result


def with_template(text: str, ref: str) -> str:
    """Append ``{{ref}}`` to typed text (how a picked value lands in a text field)."""
    return f"{text}{{{{{ref}}}}}"


# ---------------------------------------------------------------- value picker


def flatten_sample(value: Json, prefix: str, depth: int = 3) -> list[str]:
    """Dotted paths of a sample payload (``trigger.customer.email`` …), a few levels deep."""
    paths = []
    if isinstance(value, dict) and depth > 0:
        for key, inner in list(value.items())[:50]:
            if not isinstance(key, str) or not re.match(r"^[A-Za-z0-9_]+$", key):
                continue
            paths.append(f"{prefix}.{key}")
            paths.extend(flatten_sample(inner, f"{prefix}.{key}", depth - 1))
    return paths


def output_fields(schema: dict[str, Any] | None) -> list[str]:
    if not schema:
        return []
    return [k for k in (schema.get("properties") or {}) if isinstance(k, str)]
