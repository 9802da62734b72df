"""``/tenants/{tenant_id}/connections``: which apps are connected and whether they work.

Status only: tokens never leave the vault through the API.
"""

from __future__ import annotations

from sqlmodel import col, select

from flowyard.api.v1.registry import router
from flowyard.api.v1.router import Call
from flowyard.api.v1.schemas import ConnectionOut, Page
from flowyard.api.v1.scope import one, tenant_db
from flowyard.integrations.models import Connection

BASE = "/tenants/{tenant_id}/connections"


def _out(c: Connection) -> ConnectionOut:
    return ConnectionOut.model_validate(c, from_attributes=True)


@router.add("GET", BASE, action="connection.view", summary="List connections (status only)",
            query=Page, response=ConnectionOut, many=True, tag="Connections")  # fmt: skip
def list_connections(call: Call) -> list[ConnectionOut]:
    with tenant_db(call) as (db, _tenant):
        rows = db.exec(
            select(Connection).order_by(col(Connection.created_at), col(Connection.id))
            .offset(call.query.offset).limit(call.query.limit)
        ).all()  # fmt: skip
        return [_out(c) for c in rows]


@router.add("GET", BASE + "/{connection_id}", action="connection.view",
            summary="Get a connection's status", response=ConnectionOut,
            tag="Connections")  # fmt: skip
def get_connection(call: Call) -> ConnectionOut:
    with tenant_db(call) as (db, _tenant):
        return _out(one(db, Connection, call.id("connection_id"), "That connection"))
