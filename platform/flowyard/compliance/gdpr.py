"""GDPR: a tenant's data export (zip of JSON and CSV) and erasure; a person's export and
erasure by email.

Erasure deletes the tenant (every tenant-owned row goes with it through ON DELETE CASCADE),
deletes people who belonged only to it, and blanks personal data in the audit trail while
keeping the events themselves as tombstones (the hash chain stays valid).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, delete, select, text
from sqlmodel import Session

from flowyard import clock
from flowyard.compliance.tables import all_tables, is_binary, is_secret, tenant_tables, text_columns
from flowyard.db import system_session
from flowyard.security import audit
from tenants.models import Membership, Tenant, User

REDACTED = "[redacted]"
ERASED = "[erased]"
SKIP_SCAN = {"audit_event"}  # scrubbed through its own, chain-preserving path


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode()
    return value


def _rows(db: Session, table: Table, where: Any) -> list[dict[str, Any]]:
    result = []
    for row in db.execute(select(table).where(where)).mappings():
        result.append({k: REDACTED if is_secret(k) and v else _plain(v) for k, v in row.items()})
    return result


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v
                         for k, v in row.items()})  # fmt: skip
    return out.getvalue()


def _add(archive: zipfile.ZipFile, name: str, table_columns: list[str], rows: list[dict]) -> None:
    archive.writestr(f"json/{name}.json", json.dumps(rows, indent=2, default=str))
    archive.writestr(f"csv/{name}.csv", _csv(rows, table_columns))


@dataclass
class Export:
    """The zip and what it holds (table → row count), for the page and the audit event."""

    data: bytes
    counts: dict[str, int] = field(default_factory=dict)


def export_tenant(tenant_id: uuid.UUID) -> Export:
    """Everything the tenant owns: the account, every tenant-owned table, and its people."""
    buffer, counts = io.BytesIO(), {}
    with system_session() as db, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        tenant_table: Table = Tenant.__table__  # type: ignore[attr-defined]
        found = _rows(db, tenant_table, tenant_table.c.id == tenant_id)
        if not found:
            raise LookupError("That client account does not exist.")
        _add(archive, "tenant", [c.name for c in tenant_table.c], found)
        counts["tenant"] = 1
        for table in tenant_tables():
            rows = _rows(db, table, table.c.tenant_id == tenant_id)
            _add(archive, table.name, [c.name for c in table.c], rows)
            counts[table.name] = len(rows)
        people = _people_rows(db, tenant_id)
        _add(archive, "people", ["id", "email", "full_name", "created_at", "last_login_at"],
             people)  # fmt: skip
        counts["people"] = len(people)
        archive.writestr("manifest.json", json.dumps({
            "tenant_id": str(tenant_id), "exported_at": clock.now().isoformat(),
            "tables": counts, "redacted_columns": "secrets, tokens and password hashes",
        }, indent=2))  # fmt: skip
    return Export(buffer.getvalue(), counts)


def _people_rows(db: Session, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    members = select(Membership.user_id).where(Membership.tenant_id == tenant_id)  # type: ignore[arg-type]
    users = db.execute(select(User).where(User.id.in_(members))).scalars().all()  # type: ignore[attr-defined]
    return [{"id": str(u.id), "email": u.email, "full_name": u.full_name,
             "created_at": _plain(u.created_at), "last_login_at": _plain(u.last_login_at)}
            for u in users]  # fmt: skip


@dataclass
class Erasure:
    """What an erasure removed (no personal data in here: it goes into the audit trail)."""

    people_deleted: int = 0
    audit_scrubbed: int = 0
    mentions_erased: int = 0


def erase_tenant(tenant_id: uuid.UUID, *, actor_user_id: uuid.UUID | None = None) -> Erasure:
    """Delete the tenant and its data; delete people who belonged only to it; scrub audit."""
    result = Erasure()
    with system_session() as db:
        tenant = db.get(Tenant, tenant_id)
        if tenant is None:
            raise LookupError("That client account does not exist.")
        agency_id = tenant.agency_id
        member_ids = set(db.execute(
            select(Membership.user_id).where(Membership.tenant_id == tenant_id)  # type: ignore[arg-type]
        ).scalars())  # fmt: skip
        emails = {u.id: u.email for u in db.execute(
            select(User).where(User.id.in_(member_ids))  # type: ignore[attr-defined]
        ).scalars()}  # fmt: skip
        db.execute(delete(Tenant.__table__).where(Tenant.__table__.c.id == tenant_id))  # type: ignore[attr-defined]
        for user_id in member_ids:
            remaining = db.execute(
                select(Membership.id).where(Membership.user_id == user_id)  # type: ignore[arg-type]
            ).first()
            if remaining is None:
                db.execute(delete(User.__table__).where(User.__table__.c.id == user_id))  # type: ignore[attr-defined]
                result.people_deleted += 1
                result.audit_scrubbed += audit.scrub_personal_data(
                    db, user_id=user_id, email=emails.get(user_id)
                )
                result.mentions_erased += _erase_mentions(db, emails.get(user_id, ""))
        result.audit_scrubbed += audit.scrub_personal_data(db, tenant_id=tenant_id)
        audit.record("gdpr.tenant_erased", db=db, agency_id=agency_id, tenant_id=tenant_id,
                     actor_user_id=actor_user_id, target_type="tenant", target_id=tenant_id,
                     after={"people_deleted": result.people_deleted,
                            "audit_events_scrubbed": result.audit_scrubbed})  # fmt: skip
        db.commit()
    return result


def export_person(email: str) -> dict[str, Any]:
    """A person's own data: account, memberships, sessions, MFA status, audit events."""
    from flowyard.security.models import AuditEvent, MfaEnrolment
    from flowyard.security.sessions import LoginSession

    with system_session() as db:
        user = db.execute(select(User).where(User.email == email.strip().lower())).scalar()
        if user is None:
            raise LookupError("No account uses that email address.")
        memberships = db.execute(select(Membership).where(Membership.user_id == user.id)).scalars()
        sessions = db.execute(select(LoginSession).where(LoginSession.user_id == user.id)).scalars()
        enrolment = db.get(MfaEnrolment, user.id)
        events = db.execute(
            select(AuditEvent).where(AuditEvent.actor_user_id == user.id).order_by(AuditEvent.seq)  # type: ignore[arg-type]
        ).scalars()
        return {
            "account": {"id": str(user.id), "email": user.email, "full_name": user.full_name,
                        "created_at": _plain(user.created_at),
                        "last_login_at": _plain(user.last_login_at)},
            "memberships": [{"agency_id": str(m.agency_id), "tenant_id": _plain(m.tenant_id),
                             "role": m.role} for m in memberships],
            "sessions": [{"created_at": _plain(s.created_at), "ip": s.ip,
                          "user_agent": s.user_agent, "revoked_at": _plain(s.revoked_at)}
                         for s in sessions],
            "two_step_sign_in": bool(enrolment and enrolment.confirmed_at),
            "audit_events": [{"at": _plain(e.occurred_at), "action": e.action, "ip": e.ip,
                              "outcome": e.outcome} for e in events],
        }  # fmt: skip


def erase_person(email: str, *, actor_user_id: uuid.UUID | None = None) -> Erasure:
    """Delete the person's account and blank every mention of their email in stored data."""
    result = Erasure()
    address = email.strip().lower()
    with system_session() as db:
        user = db.execute(select(User).where(User.email == address)).scalar()
        if user is None:
            raise LookupError("No account uses that email address.")
        agencies = set(db.execute(
            select(Membership.agency_id).where(Membership.user_id == user.id)  # type: ignore[arg-type]
        ).scalars())  # fmt: skip
        user_id, name = user.id, user.full_name
        db.execute(delete(User.__table__).where(User.__table__.c.id == user_id))  # type: ignore[attr-defined]
        result.people_deleted = 1
        result.audit_scrubbed = audit.scrub_personal_data(db, user_id=user_id, email=address)
        result.mentions_erased = _erase_mentions(db, address)
        if name and len(name) >= 5:
            result.mentions_erased += _erase_mentions(db, name)
        for agency_id in agencies or {None}:
            audit.record("gdpr.person_erased", db=db, agency_id=agency_id,
                         actor_user_id=actor_user_id, target_type="user", target_id=user_id,
                         after={"mentions_erased": result.mentions_erased})  # fmt: skip
        db.commit()
    return result


def _erase_mentions(db: Session, needle: str) -> int:
    """Replace ``needle`` (case-insensitive) in every text and JSON column of every table."""
    if not needle:
        return 0
    pattern = re.escape(needle)
    changed = 0
    for table in all_tables():
        if table.name in SKIP_SCAN:
            continue
        for column in text_columns(table):
            if is_binary(table, column):
                continue
            kind = table.c[column].type.__class__.__name__
            cast = "::jsonb" if kind in ("JSONB", "JSON") else ""
            result = db.execute(
                text(
                    f'UPDATE "{table.name}" SET "{column}" = '
                    f"regexp_replace(\"{column}\"::text, :pattern, :erased, 'gi'){cast} "
                    f'WHERE "{column}"::text ILIKE :like'
                ),
                {"pattern": pattern, "erased": ERASED, "like": f"%{_like(needle)}%"},
            )
            changed += result.rowcount or 0
    return changed


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_mentions(needle: str) -> dict[str, int]:
    """Rows per ``table.column`` whose text or JSON mentions ``needle`` (for tests and checks)."""
    found: dict[str, int] = {}
    with system_session() as db:
        for table in all_tables():
            for column in text_columns(table):
                count = db.execute(
                    text(f'SELECT count(*) FROM "{table.name}" WHERE "{column}"::text ILIKE :l'),
                    {"l": f"%{_like(needle)}%"},
                ).scalar_one()
                if count:
                    found[f"{table.name}.{column}"] = count
    return found
