"""Rows passed to PostgreSQL as one JSON parameter, for the few statements on hot paths.

Why: the ORM's unit of work and a parameter per column cost more CPU than the statement
itself on paths that run thousands of times a second (webhook ingress, the engine's claim
and finish). Here a row is one ``jsonb`` value that ``jsonb_populate_record(set)`` turns into
a typed row inside PostgreSQL; the statement text never changes, so psycopg prepares it once
(it re-parses statements with more than 50 parameters on every call). Columns are taken from
the model's table, so a new column cannot be forgotten.

The JSON is written by orjson (:func:`jsonb`): it writes UUIDs, datetimes and enums itself
and is several times faster than ``json`` on these rows, which matters at thousands a second.
"""

from __future__ import annotations

import copy
import enum
import functools
import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from psycopg.types.json import Jsonb
from sqlalchemy import JSON, LargeBinary, Table
from sqlmodel import SQLModel


def table_of(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined,no-any-return]


_SHARED_DEFAULTS = (type(None), bool, int, float, str, bytes, uuid.UUID, enum.Enum, datetime)


@functools.cache
def _defaults(model: type[SQLModel]) -> tuple[tuple[str, Callable[[], Any] | None, Any], ...]:
    """(field, default factory, default) for each field, read once per model: asking
    pydantic per row (``FieldInfo.get_default``) inspects the factory's signature each time."""
    plan: list[tuple[str, Callable[[], Any] | None, Any]] = []
    for name, field in model.model_fields.items():
        factory = field.default_factory
        if factory is not None and field.default_factory_takes_validated_data:
            raise TypeError(f"{model.__name__}.{name}: a default needing other fields")
        plan.append((name, factory, field.default))  # type: ignore[arg-type]
    return tuple(plan)


def new_row(model: type[SQLModel], **values: Any) -> dict[str, Any]:
    """A new row of ``model`` as plain values: the model's own defaults, then ``values``.

    Why not ``model(**values)``: ORM instances (attribute instrumentation) cost a tenth of a
    millisecond each; the defaults come from the same field definitions.
    """
    row: dict[str, Any] = {}
    for name, factory, default in _defaults(model):
        if name in values:
            continue
        if factory is not None:
            row[name] = factory()
        else:  # a mutable default is copied, as pydantic does
            shared = isinstance(default, _SHARED_DEFAULTS)
            row[name] = default if shared else copy.deepcopy(default)
    row.update(values)
    return row


def _selected(
    table: Table, param: str, alias: str, overrides: dict[str, str] | None = None
) -> list[str]:
    values = []
    for column in table.columns:
        if overrides and column.name in overrides:
            values.append(overrides[column.name])
        elif isinstance(column.type, LargeBinary):
            values.append(f"%({param}_{column.name})s::bytea")
        elif isinstance(column.type, JSON):  # the ORM stores None as JSON null here
            values.append(f"COALESCE({alias}.\"{column.name}\", 'null'::jsonb)")
        else:
            values.append(f'{alias}."{column.name}"')
    return values


def columns_sql(table: Table) -> str:
    return ", ".join(f'"{column.name}"' for column in table.columns)


def insert_one_sql(
    table: Table, param: str, source: str | None = None, overrides: dict[str, str] | None = None
) -> str:
    """``INSERT INTO table (…) SELECT … FROM [source,] jsonb_populate_record(…)``: one row
    from the parameter ``param`` (see :func:`params`), only if ``source`` yields a row;
    ``overrides`` gives SQL expressions for some columns instead."""
    record = f"jsonb_populate_record(NULL::{table.name}, %({param})s::jsonb) r"
    sources = f"{source}, {record}" if source else record
    return (
        f"INSERT INTO {table.name} ({columns_sql(table)}) "
        f"SELECT {', '.join(_selected(table, param, 'r', overrides))} FROM {sources}"
    )


def insert_many_sql(table: Table, param: str) -> str:
    """``INSERT … SELECT`` of every row in the JSON array parameter ``param`` (no binary
    columns: they cannot travel inside JSON)."""
    record = f"jsonb_populate_recordset(NULL::{table.name}, %({param})s::jsonb) r"
    return (
        f"INSERT INTO {table.name} ({columns_sql(table)}) "
        f"SELECT {', '.join(_selected(table, param, 'r'))} FROM {record}"
    )


def insert_each_sql(table: Table, source: str, record: str, overrides: dict[str, str]) -> str:
    """``INSERT … SELECT … FROM source, jsonb_populate_record(NULL::table, record) r``: a row
    for each row of ``source``, its values in the JSON expression ``record`` (a column of
    ``source``, see :func:`record`). Binary columns cannot travel inside JSON: each needs an
    ``overrides`` expression."""
    binary = {c.name for c in table.columns if isinstance(c.type, LargeBinary)}
    if not binary <= set(overrides):
        raise ValueError(f"{table.name}: give {sorted(binary - set(overrides))} in overrides")
    populated = f"jsonb_populate_record(NULL::{table.name}, {record}) r"
    return (
        f"INSERT INTO {table.name} ({columns_sql(table)}) "
        f"SELECT {', '.join(_selected(table, '', 'r', overrides))} FROM {source}, {populated}"
    )


def _plain(value: Any) -> Any:
    """What ``json`` cannot write itself, as ``jsonb_populate_record`` reads it back."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def dumps(value: Any) -> bytes:
    """JSON for a ``jsonb`` parameter: UUIDs and datetimes as text, enums as their values.

    orjson refuses a few things ``json`` writes (integers beyond 64 bits): those go through
    ``json``, with the same conversions."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, default=_plain, separators=(",", ":")).encode()


def jsonb(value: Any) -> Jsonb:
    """``value`` as a ``jsonb`` statement parameter, written by :func:`dumps`."""
    return Jsonb(value, dumps=dumps)


@functools.cache
def _columns(table: Table) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """((key, name) of the JSON-carried columns, (key, name) of the binary ones)."""
    plain = tuple((c.key, c.name) for c in table.columns if not isinstance(c.type, LargeBinary))
    binary = tuple((c.key, c.name) for c in table.columns if isinstance(c.type, LargeBinary))
    return plain, binary


def record(row: dict[str, Any], table: Table) -> dict[str, Any]:
    """The row's non-binary columns, by column name, for :func:`dumps` (None left out: the
    column's NULL)."""
    return {name: value for key, name in _columns(table)[0] if (value := row.get(key)) is not None}


def params(row: dict[str, Any], table: Table, param: str) -> dict[str, Any]:
    """Statement parameters for one row: the JSON record plus its binary columns."""
    values: dict[str, Any] = {param: jsonb(record(row, table))}
    for key, name in _columns(table)[1]:
        values[f"{param}_{name}"] = row[key]
    return values


def many(rows: list[dict[str, Any]], table: Table) -> Jsonb:
    """Rows for :func:`insert_many_sql`."""
    return jsonb([record(row, table) for row in rows])
