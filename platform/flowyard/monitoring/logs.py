"""Structured logs: every line carries the tenant, user and execution it concerns.

Context is kept in contextvars (set by web handlers, actors and the scheduler), so a line
logged deep inside a connector still says whose work it was. Production writes JSON lines;
development writes readable text.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from types import MappingProxyType

CONTEXT_FIELDS = ("tenant_id", "user_id", "execution_id", "component")
_context: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "flowyard_log_context", default=MappingProxyType({})
)


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Attach fields (tenant_id=…, user_id=…) to every log line inside the block."""
    merged = {**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: object) -> None:
    """Attach fields for the rest of this context (e.g. a whole process's component)."""
    _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v is not None}})


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = _context.get()
        for name in CONTEXT_FIELDS:
            setattr(record, name, ctx.get(name, getattr(record, name, None)))
        record.context_extra = {k: v for k, v in ctx.items() if k not in CONTEXT_FIELDS}
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value:
                entry[name] = value
        entry.update(getattr(record, "context_extra", {}) or {})
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ReadableFormatter(logging.Formatter):
    """``12:00:01 INFO worker tenant=… execution=… message`` for humans at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        ctx = " ".join(
            f"{name.removesuffix('_id')}={value}"
            for name in CONTEXT_FIELDS[:3]
            if (value := getattr(record, name, None))
        )
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        component = getattr(record, "component", None) or record.name
        prefix = f"{when} {record.levelname:<7} {component} {ctx + ' ' if ctx else ''}"
        line = prefix + record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(*, json_lines: bool, level: str = "INFO", component: str = "") -> None:
    """Install our handler on the root logger (idempotent)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(JsonFormatter() if json_lines else ReadableFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_flowyard", False):
            root.removeHandler(existing)
    handler._flowyard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    if component:
        bind(component=component)
