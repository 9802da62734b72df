"""Creating, listing and retiring connections, and marking the ones that stopped working.

Every function takes the caller's tenant-scoped session, so a connection is only ever read or
written for its own tenant.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.integrations import tokens as token_vault
from flowyard.integrations.models import Connection, ConnectionStatus
from flowyard.integrations.tokens import TokenSet
from flowyard.triggers import events

log = logging.getLogger(__name__)
NEEDS_RECONNECT_EVENT = "connection.needs_reconnect"

REASONS = {
    "refresh_rejected": "{app} asked us to sign in again",
    "access_revoked": "access to {app} was removed (for example from {app}'s settings)",
    "no_refresh_token": "{app} didn't give us a way to stay signed in",
}


def day_month(when: datetime) -> str:
    """``3 March`` — how people say a date (no leading zero, no year)."""
    return f"{when.day} {when.strftime('%B')}"


def reconnect_reason(app_name: str, cause: str, when: datetime) -> str:
    """The sentence shown on the connection card and in the event."""
    why = REASONS.get(cause, "{app} stopped accepting our sign-in").format(app=app_name)
    return (
        f"Your {app_name} connection stopped working on {day_month(when)} because {why}. Reconnect"
    )


def list_active(db: Session) -> list[Connection]:
    """The tenant's connections that have not been disconnected, newest first."""
    query = (
        select(Connection)
        .where(Connection.status != ConnectionStatus.DISCONNECTED)
        .order_by(col(Connection.created_at).desc())
    )
    return list(db.exec(query).all())


def save_new(
    db: Session,
    *,
    tenant_id: uuid.UUID,
    connector_key: str,
    app_name: str,
    auth_kind: str,
    tokens: TokenSet,
    label: str,
    created_by: uuid.UUID | None,
    sandbox: bool,
    replace: uuid.UUID | None = None,
) -> Connection:
    """Store a fresh authorisation: a new connection, or new tokens for a reconnected one."""
    now = clock.now()
    row = db.get(Connection, replace) if replace else None
    if row is None or row.connector_key != connector_key:
        row = Connection(
            tenant_id=tenant_id,
            connector_key=connector_key,
            display_name=app_name,
            auth_kind=auth_kind,
            secret="",
            created_by=created_by,
            sandbox=sandbox,
        )
    row.secret = token_vault.seal(tokens, tenant_id, row.id)
    row.token_version = (row.token_version or 0) + 1
    row.expires_at = tokens.expires_datetime()
    row.scopes = list(tokens.scopes)
    row.account_label = label[:200]
    row.status = ConnectionStatus.ACTIVE
    row.reconnect_reason = ""
    row.needs_reconnect_since = None
    row.last_error = ""
    row.last_error_at = None
    row.last_refreshed_at = now
    row.updated_at = now
    row.sandbox = sandbox
    db.add(row)
    _audit(
        db, "connection.created" if replace is None else "connection.reconnected", row, created_by
    )
    db.commit()
    db.refresh(row)
    return row


def _audit(db: Session, action: str, row: Connection, user_id: uuid.UUID | None) -> None:
    """Connections hold the keys to a client's accounts: every change is on the audit chain."""
    from flowyard.security import audit

    audit.record(
        action,
        db=db,
        tenant_id=row.tenant_id,
        agency_id=audit.tenant_agency(db, row.tenant_id),
        actor_user_id=user_id,
        target_type="connection",
        target_id=row.id,
        after={"connector": row.connector_key, "status": str(row.status)},
    )


def mark_needs_reconnect(db: Session, row: Connection, app_name: str, cause: str) -> None:
    """Stop using the connection, say why in plain English, and emit the platform event.

    The caller's transaction is committed (with the event in the outbox, so it is delivered
    exactly when the status change is stored)."""
    if row.status == ConnectionStatus.NEEDS_RECONNECT:
        db.commit()
        return
    now = clock.now()
    row.status = ConnectionStatus.NEEDS_RECONNECT
    row.reconnect_reason = reconnect_reason(app_name, cause, now)
    row.needs_reconnect_since = now
    row.last_error = row.reconnect_reason
    row.last_error_at = now
    row.updated_at = now
    db.add(row)
    events.emit(
        db,
        row.tenant_id,
        NEEDS_RECONNECT_EVENT,
        {
            "connection_id": str(row.id),
            "connector": row.connector_key,
            "app": app_name,
            "account": row.account_label,
            "reason": row.reconnect_reason,
            "cause": cause,
        },
        commit=False,
    )
    db.commit()
    log.warning("connection %s needs reconnect: %s", row.id, cause)


def disconnect(
    db: Session, row: Connection, *, user_id: uuid.UUID | None = None
) -> TokenSet | None:
    """Forget the tokens (returns them once so the caller can revoke them at the provider)."""
    previous: TokenSet | None = None
    try:
        previous = token_vault.unseal(row.secret, row.tenant_id, row.id)
    except Exception:  # an unreadable secret is forgotten all the same
        previous = None
    row.secret = token_vault.seal(TokenSet(), row.tenant_id, row.id)
    row.status = ConnectionStatus.DISCONNECTED
    row.expires_at = None
    row.token_version += 1
    row.updated_at = clock.now()
    db.add(row)
    _audit(db, "connection.disconnected", row, user_id)
    db.commit()
    return previous
