"""Rows as plain values (``flowyard.db.rows``): the same defaults the models give, and the
JSON record PostgreSQL reads back; no database needed."""

from __future__ import annotations

import uuid
from datetime import datetime

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
    row = rows.new_row(InboundEvent, tenant_id=uuid.uuid4(), body=b"\x00raw", query="a=1",
                       note=None)  # fmt: skip
    params = rows.params(row, rows.table_of(InboundEvent), "event")
    assert params["event_body"] == b"\x00raw"
    record = params["event"].obj
    assert "body" not in record and "note" not in record
    assert record["tenant_id"] == str(row["tenant_id"]) and record["query"] == "a=1"
    assert record["received_at"] == row["received_at"].isoformat()
    assert isinstance(row["received_at"], datetime)
