"""Keep stored payloads bounded: large JSON is compressed, huge JSON truncated with a marker.

A chatty workflow (say, a 5 MB API response per step) must not bloat the database; what
is kept is enough for the run history, and the marker says what happened.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

import orjson

COMPRESS_ABOVE = 16 * 1024
MAX_STORED = 256 * 1024
PREVIEW_CHARS = 4 * 1024
MARKER = "__flowyard_payload__"


# Datetimes and dataclasses go to ``default=str`` as with ``json`` (orjson would write them its
# own way), so a stored payload reads the same whichever library wrote it.
_AS_JSON_DOES = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _dumps(value: Any) -> tuple[str, bool]:
    """Compact JSON, anything JSON has no type for written as its text (``str``); and whether
    orjson wrote it.

    orjson is several times faster (every webhook's payload passes here) but refuses a few
    things ``json`` writes, such as integers beyond 64 bits; those go through ``json``, and
    are read back by ``json`` too (orjson would read such an integer as a float)."""
    try:
        return orjson.dumps(value, default=str, option=_AS_JSON_DOES).decode(), True
    except TypeError:
        return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False), False


def pack(value: Any) -> Any:
    """The form to store: the value itself, a compressed envelope, or a truncation marker."""
    if value is None or isinstance(value, bool | int | float):
        return value
    text, by_orjson = _dumps(value)
    if len(text) <= COMPRESS_ABOVE:
        if not isinstance(value, str | dict | list):
            return value
        return orjson.loads(text) if by_orjson else json.loads(text)
    compressed = base64.b64encode(zlib.compress(text.encode(), 6)).decode()
    if len(compressed) <= MAX_STORED:
        return {MARKER: "zlib", "size": len(text), "data": compressed}
    return {MARKER: "truncated", "size": len(text), "preview": text[:PREVIEW_CHARS]}


def unpack(stored: Any) -> Any:
    """The value as it was (for compressed payloads) or the marker (for truncated ones)."""
    if isinstance(stored, dict) and stored.get(MARKER) == "zlib":
        return json.loads(zlib.decompress(base64.b64decode(stored["data"])).decode())
    return stored


def is_truncated(stored: Any) -> bool:
    return isinstance(stored, dict) and stored.get(MARKER) == "truncated"
