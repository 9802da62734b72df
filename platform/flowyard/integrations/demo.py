"""Connects the demo tenants to the provider simulators, so a newcomer sees flows run at once.

The simulators keep their state in memory, so ``flowyard up`` calls :func:`connect_demo_tenants`
after starting them every time: existing sandbox connections get fresh tokens (same row, so
workflows that use them keep working), missing ones are created. It performs the same
authorization-code + PKCE exchange as the Connect button, server-side (the simulators approve
consent at once), and never touches connections to real providers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
from authlib.common.security import generate_token
from sqlmodel import select

from flowyard.db import system_session, tenant_session
from flowyard.integrations import catalog, config, connections, sandboxes
from flowyard.integrations.models import Connection, ConnectionStatus, SyncJob
from flowyard.integrations.oauth import _account
from flowyard.integrations.oauth_client import oauth_client
from flowyard.integrations.tokens import TokenSet
from marketplace.sdk import OAuth2AuthCode
from tenants.models import Tenant

DEMO_CONNECTIONS = {"rosas-bakery": ("xero", "hubspot", "asana"), "northwind-cycles": ("xero",)}


def _authorize(connector_key: str) -> tuple[dict, dict]:
    """(token response, account) from a server-side dance with the simulator."""
    connector = catalog.get(connector_key)
    auth = connector.auth
    assert isinstance(auth, OAuth2AuthCode)
    verifier, state = generate_token(64), generate_token(24)
    with oauth_client(connector_key, auth) as client:
        url, _ = client.create_authorization_url(auth.authorize_url, state=state,
                                                 code_verifier=verifier)  # fmt: skip
        consent = httpx.get(url, follow_redirects=False, timeout=10)
        code = httpx.URL(consent.headers["location"]).params["code"]
        token = dict(client.fetch_token(auth.token_url, grant_type="authorization_code",
                                        code=code, code_verifier=verifier,
                                        redirect_uri=config.redirect_uri()))  # fmt: skip
    return token, _account(connector_key, connector.base_url, token, {})


def _existing(tenant_id: uuid.UUID, key: str) -> Connection | None:
    with tenant_session(tenant_id) as db:
        query = select(Connection).where(Connection.connector_key == key)
        query = query.where(Connection.status != ConnectionStatus.DISCONNECTED)
        return db.exec(query).first()


def connect_demo_tenants(say: Callable[[str], None] = print) -> int:
    """Connect (or re-connect) the demo tenants' sandbox apps; returns how many were made."""
    if not config.sandbox_mode():
        return 0
    available = set(sandboxes.available())
    with system_session() as db:
        tenants = {t.slug: t.id for t in db.exec(select(Tenant)).all()}
    made = 0
    for slug, keys in DEMO_CONNECTIONS.items():
        tenant_id = tenants.get(slug)
        if tenant_id is None:
            continue
        for key in keys:
            if key not in available:
                continue
            existing = _existing(tenant_id, key)
            if existing is not None and not existing.sandbox:
                continue  # a real connection: never replaced by the demo
            token, account = _authorize(key)
            tokens = TokenSet.from_token_response(token)
            tokens.extras = dict(account.get("extras", {}))
            with tenant_session(tenant_id) as db:
                connections.save_new(
                    db, tenant_id=tenant_id, connector_key=key, app_name=catalog.get(key).name,
                    auth_kind="oauth2_code", tokens=tokens,
                    label=str(account.get("label") or key), created_by=None, sandbox=True,
                    replace=existing.id if existing else None,
                )  # fmt: skip
            made += 1
        _demo_sync_job(tenant_id)
    say(f"Connected the demo clients to the sandbox apps ({made} connections).")
    return made


def _demo_sync_job(tenant_id: uuid.UUID) -> None:
    """Rosa's Bakery copies Xero contacts to HubSpot every hour (once both are connected)."""
    from flowyard.integrations import sync

    xero, hubspot = _existing(tenant_id, "xero"), _existing(tenant_id, "hubspot")
    if xero is None or hubspot is None:
        return
    with tenant_session(tenant_id) as db:
        if db.exec(select(SyncJob)).first() is None:
            sync.create_job(db, tenant_id=tenant_id, kind="xero_contacts_to_hubspot",
                            source=xero, target=hubspot)  # fmt: skip
