"""Stripe's form encoding: nested objects as ``metadata[key]=v``, lists as ``items[0][price]=…``.

``encode`` is what the connector sends; ``decode`` is how the sandbox reads it back, so the two
stay inverse in one place.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_PART = re.compile(r"\[([^\]]*)\]")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode(data: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Flatten ``data`` into form pairs; None values are left out."""
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs.extend(encode(value, name))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, Mapping):
                    pairs.extend(encode(item, f"{name}[{index}]"))
                else:
                    pairs.append((f"{name}[{index}]", _scalar(item)))
        else:
            pairs.append((name, _scalar(value)))
    return pairs


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    fixed = {k: _listify(v) for k, v in node.items()}
    if fixed and all(k.isdigit() or k == "" for k in fixed):
        return [fixed[k] for k in sorted(fixed, key=lambda k: int(k) if k else 0)]
    return fixed


def decode(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nest bracketed names back into dicts and lists (``a[]`` appends)."""
    root: dict[str, Any] = {}
    for name, value in pairs:
        head, _, rest = name.partition("[")
        keys = [head, *_PART.findall("[" + rest)] if rest else [head]
        node = root
        for key in keys[:-1]:
            node = node.setdefault(key or str(len(node)), {})
        node[keys[-1] or str(len(node))] = value
    return _listify(root)
