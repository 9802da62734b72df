"""Which tables hold a tenant's data and which columns hold text: read from SQLModel metadata,
so a table added tomorrow is exported and erased without anyone editing this module."""

from __future__ import annotations

import re

from sqlalchemy import JSON, LargeBinary, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

import flowyard.db.models  # noqa: F401  (registers every table)
from tenants.models import Tenant
from tenants.ownership import AgencyOwned, TenantOwned

# Never exported: credentials and ciphertexts (useless outside and dangerous if leaked).
SECRET_COLUMN = re.compile(r"(^|_)(secret|token|password_hash|token_hash|secret_hash)$")


def tenant_tables() -> list[Table]:
    """Tables with rows owned by one tenant: TenantOwned models, and agency models that may
    name a tenant (memberships, API keys, tenant webhook subscriptions)."""
    found: dict[str, Table] = {}
    for mapper in SQLModel._sa_registry.mappers:  # type: ignore[attr-defined]
        cls, table = mapper.class_, mapper.local_table
        if cls is Tenant or not isinstance(table, Table) or "tenant_id" not in table.c:
            continue
        if issubclass(cls, TenantOwned | AgencyOwned):
            found[table.name] = table
    return [found[name] for name in sorted(found)]


def text_columns(table: Table) -> list[str]:
    """Columns that can hold text a person typed (strings and JSON)."""
    return [c.name for c in table.c if isinstance(c.type, String | Text | JSON | JSONB)]


def is_secret(column: str) -> bool:
    return bool(SECRET_COLUMN.search(column))


def is_binary(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, LargeBinary)


def all_tables() -> list[Table]:
    return list(SQLModel.metadata.sorted_tables)
