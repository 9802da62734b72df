"""Sync jobs: copy records between two connections on a schedule, with a log per run.

A job names a *kind* (what to copy, e.g. Xero contacts → HubSpot contacts) and two connections.
A run uses the same authenticated, rate-limited clients as workflow steps, so a sync never
exceeds a provider's limits either: when told to slow down it waits and carries on. Each record
is counted as created, updated or skipped; a record that fails is logged with what it was and
why, and the run goes on with the next one.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from flowyard import clock
from flowyard.db import tenant_session
from flowyard.integrations.models import Connection, SyncJob, SyncRun
from flowyard.integrations.provider import client_for_connection
from marketplace import registry
from marketplace.sdk import ActionContext, ActionError, RateLimitedError

log = logging.getLogger(__name__)
MAX_ERRORS_KEPT = 100
MAX_WAIT_SECONDS = 120.0


@dataclass
class SyncLog:
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, record: dict[str, Any], message: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"record": record, "message": message})


@dataclass(frozen=True)
class SyncKind:
    label: str
    source: str
    target: str
    run: Callable[[ActionContext, ActionContext, SyncLog], None]


def _patiently(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a provider call; when the limit says wait, wait (bounded) and try again."""
    for _ in range(20):
        try:
            return call(*args, **kwargs)
        except RateLimitedError as slow:
            time.sleep(min(MAX_WAIT_SECONDS, slow.retry_after or 1.0))
    return call(*args, **kwargs)


def _xero_contacts(ctx: ActionContext) -> Iterator[dict[str, Any]]:
    from connectors.xero.client import API, call

    page = 1
    while True:
        body = _patiently(call, ctx, "GET", f"{API}/Contacts", params={"page": page})
        contacts = body.get("Contacts") or []
        yield from contacts
        count = (body.get("pagination") or {}).get("pageCount", page)
        if not contacts or page >= count:
            return
        page += 1


def _hubspot_properties(contact: dict[str, Any]) -> dict[str, str]:
    wanted = {
        "firstname": contact.get("FirstName"),
        "lastname": contact.get("LastName"),
        "company": contact.get("Name"),
    }
    return {k: str(v) for k, v in wanted.items() if v}


def xero_contacts_to_hubspot(source: ActionContext, target: ActionContext, out: SyncLog) -> None:
    """Every Xero contact with an email becomes (or updates) the HubSpot contact with it."""
    from connectors.hubspot.actions import create_contact, find_contact, update_contact
    from connectors.hubspot.models import (
        CreateContactInputs,
        FindContactInputs,
        UpdateContactInputs,
    )

    for contact in _xero_contacts(source):
        out.processed += 1
        record = {"id": contact.get("ContactID"), "name": contact.get("Name"),
                  "email": contact.get("EmailAddress")}  # fmt: skip
        email = (contact.get("EmailAddress") or "").strip()
        if not email:
            out.error(record, "This Xero contact has no email address, so it can't be matched "
                              "to a HubSpot contact. Add one in Xero.")  # fmt: skip
            continue
        wanted = _hubspot_properties(contact)
        try:
            found = _patiently(find_contact, target, FindContactInputs(email=email))
            if not found.found or found.contact is None:
                inputs = CreateContactInputs(email=email, **wanted)
                _patiently(create_contact, target, inputs)
                out.created += 1
                continue
            have = found.contact.properties
            changes = {k: v for k, v in wanted.items() if (have.get(k) or "") != v}
            if not changes:
                out.skipped += 1
                continue
            update = UpdateContactInputs(contact_id=found.contact.id, properties=changes)
            _patiently(update_contact, target, update)
            out.updated += 1
        except ActionError as failed:
            out.error(record, failed.message)


KINDS: dict[str, SyncKind] = {
    "xero_contacts_to_hubspot": SyncKind(
        "Xero contacts → HubSpot contacts", "xero", "hubspot", xero_contacts_to_hubspot
    ),
}


def create_job(
    db: Session,
    *,
    tenant_id: uuid.UUID,
    kind: str,
    source: Connection,
    target: Connection,
    every_minutes: int = 60,
    name: str | None = None,
) -> SyncJob:
    spec = KINDS[kind]
    if (source.connector_key, target.connector_key) != (spec.source, spec.target):
        raise ValueError(f"{spec.label} needs a {spec.source} and a {spec.target} connection.")
    job = SyncJob(
        tenant_id=tenant_id,
        name=name or spec.label,
        kind=kind,
        source_connection_id=source.id,
        target_connection_id=target.id,
        every_minutes=max(5, every_minutes),
        next_run_at=clock.now(),
    )
    db.add(job)
    db.commit()
    db.refresh(job)
    return job


def claim_due(db: Session, limit: int = 200) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Move each due job's next run forward and return it (SKIP LOCKED: claimed once)."""
    rows = db.execute(
        text(
            """
            UPDATE sync_job SET next_run_at = :now + make_interval(mins => every_minutes)
            WHERE id IN (
                SELECT id FROM sync_job
                WHERE enabled AND (next_run_at IS NULL OR next_run_at <= :now)
                ORDER BY next_run_at NULLS FIRST LIMIT :limit
                FOR UPDATE SKIP LOCKED)
            RETURNING tenant_id, id
            """
        ),
        {"now": clock.now(), "limit": limit},
    ).all()
    db.commit()
    return [(row[0], row[1]) for row in rows]


def run_job(tenant_id: uuid.UUID, job_id: uuid.UUID) -> SyncRun:
    """Run a job now; the returned log is also stored (``SyncRun``)."""
    started = time.perf_counter()
    with tenant_session(tenant_id) as db:
        job = db.get(SyncJob, job_id)
        if job is None:
            raise LookupError("That sync job no longer exists.")
        run = SyncRun(tenant_id=tenant_id, job_id=job.id)
        job.last_run_at = run.started_at
        db.add_all([run, job])
        db.commit()
        source_id, target_id, kind = job.source_connection_id, job.target_connection_id, job.kind
    out, status, message = SyncLog(), "succeeded", ""
    clients: list[Any] = []
    try:
        spec = KINDS[kind]
        contexts = []
        for connection_id, key in ((source_id, spec.source), (target_id, spec.target)):
            connector = registry.connectors()[key]
            http, credentials = client_for_connection(
                tenant_id, str(connection_id), connector, 30.0
            )
            clients.append(http)
            contexts.append(ActionContext(http=http, idempotency_key=f"sync:{run.id}",
                                          log=log, credentials=credentials))  # fmt: skip
        spec.run(contexts[0], contexts[1], out)
        if out.errors:
            status = "partial"
            message = f"{len(out.errors)} record(s) couldn't be copied; see the list below."
    except ActionError as failed:
        status, message = "failed", failed.message
    finally:
        for http in clients:
            http.close()
    with tenant_session(tenant_id) as db:
        row = db.get(SyncRun, run.id)
        assert row is not None
        row.status, row.message = status, message[:1000]
        row.processed, row.created, row.updated = out.processed, out.created, out.updated
        row.skipped, row.errors = out.skipped, out.errors
        row.finished_at = clock.now()
        row.duration_ms = int((time.perf_counter() - started) * 1000)
        db.add(row)
        db.commit()
        db.refresh(row)
        return row


def recent_runs(db: Session, limit: int = 20) -> list[SyncRun]:
    query = select(SyncRun).order_by(col(SyncRun.started_at).desc()).limit(limit)
    return list(db.exec(query).all())


def due_again(job: SyncJob) -> timedelta:
    return timedelta(minutes=job.every_minutes)
