"""Inbound endpoints: one unguessable address per webhook-triggered workflow, and its settings.

The workflow document's trigger may carry defaults for a new endpoint::

    {"kind": "webhook", "settings": {"mode": "sync", "timeout_seconds": 10,
                                     "dedupe_window_hours": 24}}

Verification (scheme and secret) is never in the document — secrets live on the endpoint row,
encrypted with the vault — and is set on the Webhooks page (or :func:`set_verification`).
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlmodel import Session, select

from flowyard import clock
from flowyard.engine.models import Workflow, WorkflowVersion
from flowyard.security import vault
from flowyard.settings import get_settings
from flowyard.webhooks.models import InboundEndpoint
from flowyard.webhooks.verify import _checker
from tenants.validation import InvalidInput

MAX_SYNC_TIMEOUT = 30
SCHEME_LABELS = {
    "": "No check (anyone with the address can send)",
    "hmac": "Shared secret (HMAC signature header)",
    "standard-webhooks": "Standard Webhooks (Svix and others)",
    "stripe": "Stripe",
    "shopify": "Shopify",
    "xero": "Xero",
    "hubspot-v3": "HubSpot",
    "slack": "Slack",
    "asana": "Asana (secret arrives with Asana's handshake)",
}


def new_token() -> str:
    """256 random bits, URL-safe: the address itself is the first line of defence."""
    return secrets.token_urlsafe(32)


def secret_context(endpoint: InboundEndpoint) -> str:
    return f"tenant:{endpoint.tenant_id}:webhook-endpoint:{endpoint.id}"


def hook_url(endpoint: InboundEndpoint) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/hooks/{endpoint.token}"


def _document_settings(db: Session, workflow: Workflow) -> dict[str, Any]:
    version = (
        db.get(WorkflowVersion, workflow.published_version_id)
        if workflow.published_version_id
        else None
    )
    document = version.document if version else workflow.draft
    trigger = (document or {}).get("trigger") or {}
    return trigger.get("settings") or {} if trigger.get("kind") == "webhook" else {}


def endpoint_for(db: Session, workflow: Workflow) -> InboundEndpoint:
    """The workflow's endpoint, created on first use with the document's defaults."""
    found = db.exec(
        select(InboundEndpoint).where(InboundEndpoint.workflow_id == workflow.id)
    ).first()
    if found is not None:
        return found
    settings = _document_settings(db, workflow)
    endpoint = InboundEndpoint(
        tenant_id=workflow.tenant_id, workflow_id=workflow.id, token=new_token()
    )
    if settings.get("mode") == "sync":
        endpoint.mode = "sync"
    timeout = settings.get("timeout_seconds")
    if isinstance(timeout, int) and 1 <= timeout <= MAX_SYNC_TIMEOUT:
        endpoint.sync_timeout_seconds = timeout
    hours = settings.get("dedupe_window_hours")
    if isinstance(hours, int) and 0 <= hours <= 24 * 30:
        endpoint.dedupe_window_seconds = hours * 3600
    db.add(endpoint)
    db.commit()
    return endpoint


def ensure_endpoints(db: Session, tenant_id: uuid.UUID) -> list[InboundEndpoint]:
    """Endpoints for every published webhook-triggered workflow of the tenant."""
    workflows = db.exec(
        select(Workflow).where(
            Workflow.tenant_id == tenant_id,
            Workflow.trigger_kind == "webhook",
            Workflow.published_version_id.is_not(None),  # type: ignore[union-attr]
        )
    ).all()
    return [endpoint_for(db, workflow) for workflow in workflows]


def forget_cached(endpoint: InboundEndpoint) -> None:
    """Drop this process's cached copy of the endpoint after a change.

    Not needed for correctness — the ingress re-checks the stored settings in the same
    statement that stores an event, in every process — it only saves a wasted round trip.
    """
    from flowyard.webhooks.fastpath import cache

    cache.forget(endpoint_id=endpoint.id)


def regenerate_token(db: Session, endpoint: InboundEndpoint) -> InboundEndpoint:
    """A new address; the old one stops working at once (404)."""
    endpoint.token = new_token()
    endpoint.token_rotated_at = clock.now()
    db.add(endpoint)
    db.commit()
    forget_cached(endpoint)
    return endpoint


def set_verification(
    db: Session, endpoint: InboundEndpoint, scheme: str, secret: str | None
) -> InboundEndpoint:
    """Choose how requests prove they come from the sender (``""`` turns checking off)."""
    scheme = scheme.strip()
    if scheme:
        try:
            _checker(scheme)
        except ValueError:
            raise InvalidInput("scheme", "That signature check is not one we know.") from None
    needs_secret = bool(scheme) and not scheme.startswith("asana")
    if needs_secret and not (secret or endpoint.secret):
        raise InvalidInput("secret", "Paste the signing secret the sending app gave you.")
    endpoint.scheme = scheme
    if scheme.startswith("asana") and not secret:
        endpoint.secret = None  # the next Asana handshake delivers it
    if secret:
        endpoint.secret = vault.encrypt(secret.strip(), context=secret_context(endpoint))
    if not scheme:
        endpoint.secret = None
    db.add(endpoint)
    db.commit()
    forget_cached(endpoint)
    return endpoint


def set_mode(
    db: Session, endpoint: InboundEndpoint, mode: str, timeout_seconds: int | None = None
) -> InboundEndpoint:
    if mode not in ("async", "sync"):
        raise InvalidInput("mode", "Choose whether to answer at once or wait for the result.")
    endpoint.mode = mode
    if timeout_seconds is not None:
        if not 1 <= timeout_seconds <= MAX_SYNC_TIMEOUT:
            raise InvalidInput("timeout", f"Wait between 1 and {MAX_SYNC_TIMEOUT} seconds.")
        endpoint.sync_timeout_seconds = timeout_seconds
    db.add(endpoint)
    db.commit()
    forget_cached(endpoint)
    return endpoint


def stored_secret(endpoint: InboundEndpoint) -> str | None:
    """The verification secret in clear (only the ingress and the owner's page need it)."""
    if not endpoint.secret:
        return None
    return vault.decrypt(endpoint.secret, context=secret_context(endpoint))
