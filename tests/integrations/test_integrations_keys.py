"""Connecting key and password apps (Stripe, a mailbox) as the Integrations page's form does:
plain-English refusals, the credentials tried against the simulators on real sockets, sealed in
the vault, and used by a real worker through the provider factory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from integration_people import make_person
from sqlmodel import select

from connectors.email.imap_sandbox import ImapSandbox
from connectors.sandbox_kit import SandboxServer
from connectors.stripe.sandbox import StripeSandbox
from flowyard.db import tenant_session
from flowyard.integrations import key_connections, overview
from flowyard.integrations import tokens as token_vault
from flowyard.integrations.key_connections import KeyConnectError, connect_with_key
from flowyard.integrations.models import Connection
from marketplace import registry


@pytest.fixture
def stripe(monkeypatch: pytest.MonkeyPatch) -> Iterator[StripeSandbox]:
    from flowyard.settings import get_settings

    sim = StripeSandbox()
    with SandboxServer(sim.app) as server:
        monkeypatch.setenv("FLOWYARD_SANDBOXES", "1")
        monkeypatch.setenv("FLOWYARD_SANDBOX_URLS", f"stripe={server.url}")
        monkeypatch.setenv("FLOWYARD_HTTP_ALLOW", f"127.0.0.1:{server.port}")
        get_settings.cache_clear()
        yield sim
    get_settings.cache_clear()


def _connect(person, key: str, values: dict[str, str]) -> Connection:  # type: ignore[no-untyped-def]
    with tenant_session(person.tenant_id) as db:
        return connect_with_key(db, tenant_id=person.tenant_id, connector_key=key,
                                values=values, user_id=person.user_id)  # fmt: skip


def test_the_form_fields_come_from_the_auth_declaration() -> None:
    apps = {c.key: c for c in key_connections.key_connectors()}
    assert {"stripe", "email"} <= set(apps)
    stripe_fields = key_connections.fields_for(apps["stripe"])
    assert [(f.name, f.kind) for f in stripe_fields] == [("api_key", "password")]
    assert stripe_fields[0].label.startswith("Secret key")
    mail = [(f.name, f.kind) for f in key_connections.fields_for(apps["email"])]
    assert mail == [("host", "text"), ("port", "number"), ("username", "text"),
                    ("password", "password"), ("ssl", "checkbox")]  # fmt: skip


def test_stripe_key_is_checked_sealed_and_shown_healthy(db, redis, stripe):
    person = make_person()
    with pytest.raises(KeyConnectError, match="Please fill in"):
        _connect(person, "stripe", {"api_key": "  "})
    with pytest.raises(KeyConnectError, match="contains spaces"):
        _connect(person, "stripe", {"api_key": "sk_test_ab cd"})
    with pytest.raises(KeyConnectError, match="didn't accept that key"):
        _connect(person, "stripe", {"api_key": "sk_test_wrong"})
    with tenant_session(person.tenant_id) as session:
        assert session.exec(select(Connection)).all() == []

    row = _connect(person, "stripe", {"api_key": f" {stripe.secret_key} "})
    assert row.auth_kind == "api_key" and row.sandbox is True
    assert row.account_label == f"Key ending …{stripe.secret_key[-4:]}"
    assert stripe.secret_key not in row.secret
    assert token_vault.unseal(row.secret, person.tenant_id, row.id).api_key == stripe.secret_key
    with tenant_session(person.tenant_id) as session:
        (card,) = overview.connection_cards(session, person.slug)
    assert card["key"] == "stripe" and "Healthy" in str(card)

    # The stored key authenticates a step's client (the provider factory), against the sandbox.
    from flowyard.integrations.provider import client_for_connection

    client, credentials = client_for_connection(
        person.tenant_id, str(row.id), registry.connectors()["stripe"], 10
    )
    with client:
        answer = client.get("/v1/customers", params={"limit": 1})
    assert answer.status_code == 200, answer.text
    assert credentials == {}


def test_mailbox_login_is_tried_before_saving(db, redis, monkeypatch):
    from flowyard.settings import get_settings

    person = make_person()
    with ImapSandbox({"rosa@example.test": "correct horse"}) as imap:
        port = imap.port
        base = {"host": "127.0.0.1", "port": str(imap.port), "username": "rosa@example.test"}
        # Internal addresses are refused like any step's request, unless allow-listed.
        monkeypatch.delenv("FLOWYARD_HTTP_ALLOW", raising=False)
        get_settings.cache_clear()
        with pytest.raises(KeyConnectError, match=r"can't connect to 127\.0\.0\.1"):
            _connect(person, "email", {**base, "password": "correct horse"})
        monkeypatch.setenv("FLOWYARD_HTTP_ALLOW", f"127.0.0.1:{port}")
        get_settings.cache_clear()
        with pytest.raises(KeyConnectError, match="port must be a number"):
            _connect(person, "email", {**base, "port": "imap", "password": "x"})
        with pytest.raises(KeyConnectError, match="refused that username and password"):
            _connect(person, "email", {**base, "password": "wrong"})
        with pytest.raises(KeyConnectError, match="couldn't reach the mail server"):
            _connect(person, "email", {**base, "password": "correct horse", "ssl": "on"})
        row = _connect(person, "email", {**base, "password": "correct horse"})
    get_settings.cache_clear()
    assert row.auth_kind == "basic"
    assert row.account_label == "rosa@example.test at 127.0.0.1"
    sealed = token_vault.unseal(row.secret, person.tenant_id, row.id)
    assert sealed.username == "rosa@example.test" and sealed.password == "correct horse"
    assert sealed.extras == {"host": "127.0.0.1", "port": port, "ssl": False,
                             "username": "rosa@example.test",
                             "password": "correct horse"}  # fmt: skip
