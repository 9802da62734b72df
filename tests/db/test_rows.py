"""Rows as plain values (``flowyard.db.rows``): the same defaults the models give, and the
JSON record PostgreSQL reads back; no database needed."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import UTC, datetime

from pydantic_core import PydanticUndefined

from flowyard.db import rows
from flowyard.engine.models import Execution
from flowyard.webhooks.models import InboundEvent
from flowyard.workers.outbox import OutboxMessage


def test_new_rows_have_the_models_defaults_and_never_share_mutable_ones() -> None:
    for model in (InboundEvent, Execution, OutboxMessage):
        row = rows.new_row(model)
        assert list(row) == list(model.model_fields)
        for name, field in model.model_fields.items():
            if field.default_factory is None and field.default is not PydanticUndefined:
                assert row[name] == field.get_default(call_default_factory=True), name
    first, second = rows.new_row(OutboxMessage), rows.new_row(OutboxMessage)
    assert first["args"] == [] and first["args"] is not second["args"]
    assert first["options"] == {} and first["options"] is not second["options"]
    assert first["id"] != second["id"]  # factories run for every row
    assert rows.new_row(OutboxMessage, attempts=3)["attempts"] == 3


def test_params_carry_binary_columns_apart_and_leave_out_nulls() -> None:
    row = rows.new_row(InboundEvent, tenant_id=uuid.uuid4(), endpoint_id=uuid.uuid4(),
                       workflow_id=uuid.uuid4(), body=b"\x00raw", query="a=1",
                       note=None)  # fmt: skip
    params = rows.params(row, rows.table_of(InboundEvent), "event")
    assert params["event_body"] == b"\x00raw"
    record = json.loads(rows.dumps(params["event"].obj))  # what PostgreSQL receives
    assert "body" not in record and "note" not in record
    assert record["tenant_id"] == str(row["tenant_id"]) and record["query"] == "a=1"
    assert record["received_at"] == row["received_at"].isoformat()
    assert isinstance(row["received_at"], datetime)


class _Colour(enum.Enum):
    RED = "red"


def test_dumps_writes_what_json_cannot_as_postgresql_reads_it_back() -> None:
    moment = datetime(2026, 12, 2, 17, 0, 29, 243146, tzinfo=UTC)
    ident = uuid.uuid4()
    value = {"id": ident, "at": moment, "colour": _Colour.RED, "nested": [{"id": ident}]}
    assert json.loads(rows.dumps(value)) == {
        "id": str(ident), "at": moment.isoformat(), "colour": "red", "nested": [{"id": str(ident)}]
    }  # fmt: skip
    huge = {"n": 2**70, "id": ident}  # beyond orjson: written by json, same conversions
    assert json.loads(rows.dumps(huge)) == {"n": 2**70, "id": str(ident)}
