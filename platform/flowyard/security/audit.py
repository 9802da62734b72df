"""The tamper-evident audit trail: append, search, verify, and scrub personal data.

One global hash chain (simplest to verify, and security events are rare enough that one
writer at a time is cheap): appends take a PostgreSQL transaction-level advisory lock, read
the last row's hash, and store ``hash = sha256(canonical JSON of the chained fields)``.
Deleting or editing any row breaks the link to the next one, which :func:`verify` reports.
A database trigger (migration 0006) refuses UPDATE and DELETE; erasure may only blank the
personal columns, which the chain covers through a salted digest that dies with the salt.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.db import system_session
from flowyard.security.models import AuditEvent

GENESIS = "0" * 64
_acting: ContextVar[Actor | None] = ContextVar("flowyard_audit_actor", default=None)
LOCK_KEY = 0x46594155  # "FYAU": serialises appends across processes
CHAINED = (
    "seq",
    "occurred_at",
    "action",
    "outcome",
    "agency_id",
    "tenant_id",
    "actor_user_id",
    "actor_kind",
    "target_type",
    "target_id",
    "summary",
    "pii_digest",
    "prev_hash",
)


@dataclass(frozen=True)
class Actor:
    """Who is acting, for events recorded deep inside services (e.g. a publish via the API)."""

    kind: str = "user"
    user_id: uuid.UUID | None = None
    email: str | None = None
    ip: str | None = None
    key_id: str | None = None


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Events recorded inside this block without an explicit actor are attributed to it."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def tenant_agency(db: Session, tenant_id: uuid.UUID | None) -> uuid.UUID | None:
    """The agency a tenant belongs to (events are filed under both)."""
    if tenant_id is None:
        return None
    return (
        db.connection()
        .execute(text("SELECT agency_id FROM tenant WHERE id = :t"), {"t": tenant_id})
        .scalar_one_or_none()
    )


def canonical(value: Any) -> str:
    """Stable JSON: sorted keys, no spaces, UUIDs and times as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return _time(value)
    return str(value)


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _sha(data: str) -> str:
    return hashlib.sha256(data.encode()).hexdigest()


def pii_digest(salt: str, email: str | None, ip: str | None, details: Any) -> str:
    return _sha(canonical({"salt": salt, "email": email, "ip": ip, "details": details}))


def row_hash(row: AuditEvent) -> str:
    return _sha(canonical({name: getattr(row, name) for name in CHAINED}))


def record(
    action: str,
    *,
    db: Session | None = None,
    agency_id: uuid.UUID | None = None,
    tenant_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    actor_email: str | None = None,
    actor_kind: str = "user",
    ip: str | None = None,
    target_type: str = "",
    target_id: str | uuid.UUID = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> AuditEvent:
    """Append one event. With ``db`` it joins that transaction (caller commits); else it
    commits on its own. ``before``/``after`` must hold no personal data (ids, flags, names of
    settings); anything personal (emails typed, names) goes in ``details``."""
    acting = _acting.get()
    if acting is not None and actor_user_id is None and actor_kind == "user":
        actor_kind, actor_user_id = acting.kind, acting.user_id
        actor_email, ip = actor_email or acting.email, ip or acting.ip
        if acting.key_id:
            details = {**(details or {}), "api_key": acting.key_id}
    values = {
        "action": action, "agency_id": agency_id, "tenant_id": tenant_id,
        "actor_user_id": actor_user_id, "actor_email": actor_email, "actor_kind": actor_kind,
        "ip": ip, "target_type": target_type, "target_id": target_id, "before": before,
        "after": after, "details": details, "outcome": outcome,
    }  # fmt: skip
    if db is not None:
        return _append(db, values)
    with system_session() as own:
        row = _append(own, values)
        own.commit()
        return row


def _append(db: Session, v: dict[str, Any]) -> AuditEvent:
    connection = db.connection()
    connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
    prev = connection.execute(
        text("SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    ).scalar_one_or_none()
    seq = connection.execute(
        text("SELECT nextval(pg_get_serial_sequence('audit_event', 'seq'))")
    ).scalar_one()
    salt = secrets.token_hex(16)
    summary = {k: v[k] for k in ("before", "after") if v[k] is not None}
    row = AuditEvent(
        seq=seq,
        occurred_at=clock.now().astimezone(UTC),
        action=v["action"][:64],
        outcome=v["outcome"][:16],
        agency_id=v["agency_id"],
        tenant_id=v["tenant_id"],
        actor_user_id=v["actor_user_id"],
        actor_kind=v["actor_kind"],
        target_type=v["target_type"][:64],
        target_id=str(v["target_id"])[:64],
        summary=json.loads(canonical(summary)),
        actor_email=v["actor_email"],
        ip=v["ip"],
        details=json.loads(canonical(v["details"])) if v["details"] is not None else None,
        pii_salt=salt,
        prev_hash=prev or GENESIS,
        hash="",
    )
    row.pii_digest = pii_digest(salt, row.actor_email, row.ip, row.details)
    row.hash = row_hash(row)
    db.add(row)
    db.flush()
    return row


# --- verification ---------------------------------------------------------------------------
@dataclass
class ChainReport:
    """What ``flowyard audit verify`` prints: how many rows, and every broken link."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int | None = None
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems


def _rows(db: Session, batch: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        chunk = db.exec(
            select(AuditEvent).where(col(AuditEvent.seq) > last).order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()  # fmt: skip
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].seq or last


def verify() -> ChainReport:
    """Walk the chain from the first row; report edits, deletions and reordering."""
    report = ChainReport()
    expected_prev = GENESIS
    with system_session() as db:
        for row in _rows(db):
            report.checked += 1
            if row.prev_hash != expected_prev:
                report.problems.append(
                    f"Event #{row.seq} does not follow the event before it: an event was "
                    "deleted or inserted just before it."
                )
            if row_hash(row) != row.hash:
                report.problems.append(f"Event #{row.seq} was changed after it was written.")
            elif row.erased_at is None and row.pii_salt is not None:
                digest = pii_digest(row.pii_salt, row.actor_email, row.ip, row.details)
                if digest != row.pii_digest:
                    report.problems.append(
                        f"Event #{row.seq}: its personal details were changed after it was written."
                    )
            expected_prev = row.hash
            report.head_seq, report.head_hash = row.seq, row.hash
    return report


# --- reading and erasing --------------------------------------------------------------------
def search(
    db: Session,
    *,
    agency_id: uuid.UUID,
    tenant_id: uuid.UUID | None = None,
    action_prefix: str = "",
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEvent]:
    """Newest first, filtered to one agency (and optionally one tenant or action family)."""
    query = select(AuditEvent).where(AuditEvent.agency_id == agency_id)
    if tenant_id is not None:
        query = query.where(AuditEvent.tenant_id == tenant_id)
    if action_prefix:
        query = query.where(col(AuditEvent.action).startswith(action_prefix))
    query = query.order_by(col(AuditEvent.seq).desc()).offset(offset).limit(min(limit, 200))
    return list(db.exec(query).all())


def scrub_personal_data(
    db: Session,
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    tenant_id: uuid.UUID | None = None,
) -> int:
    """Blank the personal columns of matching events (erasure); the chain stays valid.

    Matches events the person performed, events whose details mention their email, and with
    ``tenant_id`` every event of that tenant. Returns how many rows were scrubbed.
    """
    clauses, params = [], {"now": clock.now()}
    if user_id is not None:
        clauses.append("actor_user_id = :uid")
        params["uid"] = user_id
    if email:
        clauses.append("lower(actor_email) = :email OR lower(details::text) LIKE :pattern")
        params["email"] = email.lower()
        params["pattern"] = f"%{_like_escape(email.lower())}%"
    if tenant_id is not None:
        clauses.append("tenant_id = :tid")
        params["tid"] = tenant_id
    if not clauses:
        return 0
    connection = db.connection()
    connection.execute(text("SELECT set_config('flowyard.audit_scrub', 'on', true)"))
    result = connection.execute(
        text(
            "UPDATE audit_event SET actor_email = NULL, ip = NULL, details = NULL, "
            "pii_salt = NULL, erased_at = :now "
            f"WHERE erased_at IS NULL AND ({' OR '.join(f'({c})' for c in clauses)})"
        ),
        params,
    )
    connection.execute(text("SELECT set_config('flowyard.audit_scrub', 'off', true)"))
    return result.rowcount or 0


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def record_publish(db: Session, workflow: Any, version: Any, user_id: uuid.UUID | None) -> None:
    """The engine's publish hook: one event in the publishing transaction."""
    record(
        "workflow.publish",
        db=db,
        tenant_id=workflow.tenant_id,
        agency_id=tenant_agency(db, workflow.tenant_id),
        actor_user_id=user_id,
        target_type="workflow",
        target_id=workflow.id,
        after={"version": version.number, "version_id": str(version.id)},
    )
