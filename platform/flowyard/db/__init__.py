"""Database access: the engine, and the scoped sessions every read and write goes through."""

from flowyard.db.engine import get_engine, reset_engine
from flowyard.db.scoping import (
    CrossTenantAccess,
    Scope,
    UnscopedAccess,
    agency_session,
    system_session,
    tenant_session,
)

__all__ = [
    "CrossTenantAccess",
    "Scope",
    "UnscopedAccess",
    "agency_session",
    "get_engine",
    "reset_engine",
    "system_session",
    "tenant_session",
]
