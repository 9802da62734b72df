"""The OAuth dance through our own routes against each provider simulator."""

from __future__ import annotations

import html

import pytest
from oauth_dance import callback, connect, consent, start
from sqlmodel import select

from flowyard.db import tenant_session
from flowyard.integrations import tokens
from flowyard.integrations.models import Connection

pytestmark = pytest.mark.usefixtures("sandboxes")


def _connections(tenant_id) -> list[Connection]:  # type: ignore[no-untyped-def]
    with tenant_session(tenant_id) as db:
        return list(db.exec(select(Connection)).all())


@pytest.mark.parametrize(
    ("key", "label"),
    [("xero", "Demo Company (Global)"), ("hubspot", "portal"), ("asana", "@")],
)
def test_connect_each_provider_stores_encrypted_tokens(key, label, person, sandboxes):
    landing = connect(person.session_token, key, person.slug)

    assert landing.status == 303
    assert landing.path == f"/t/{person.slug}/integrations"
    assert landing.query == {"connected": key}
    (row,) = _connections(person.tenant_id)
    assert row.connector_key == key and row.status == "active"
    assert label in row.account_label
    assert row.created_by == person.user_id and row.sandbox
    assert row.expires_at is not None
    assert "access_token" not in row.secret and row.secret.startswith("v1:")
    secret = tokens.unseal(row.secret, person.tenant_id, row.id)
    assert secret.access_token and secret.refresh_token
    grant_subjects = [g for g in sandboxes.simulators[key].oauth.grants() if not g.revoked]
    assert len(grant_subjects) == 1


def test_xero_connection_remembers_the_organisation(person, sandboxes):
    connect(person.session_token, "xero", person.slug)
    (row,) = _connections(person.tenant_id)
    extras = tokens.unseal(row.secret, person.tenant_id, row.id).extras
    org = sandboxes.simulators["xero"].default_org
    assert extras["xero_tenant_id"] == org.tenant_id
    assert extras["xero_tenants"] == [{"id": org.tenant_id, "name": org.name}]


def test_authorize_url_uses_pkce_and_the_exact_redirect_uri(person):
    started = start(person.session_token, "xero", person.slug)
    location = started.headers["location"]
    assert "code_challenge_method=S256" in location and "code_challenge=" in location
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Foauth%2Fcallback" in location
    assert "state=" in location


def test_bad_state_is_refused_and_nothing_is_stored(person):
    started = start(person.session_token, "xero", person.slug)
    redirect = consent(started.headers["location"])
    forged = redirect.replace("state=", "state=x")
    landing = callback(person.session_token, forged)
    assert landing.status == 400
    assert "expired or didn't start in this browser" in html.unescape(landing.body)
    assert _connections(person.tenant_id) == []


def test_state_is_single_use(person):
    started = start(person.session_token, "xero", person.slug)
    redirect = consent(started.headers["location"])
    assert callback(person.session_token, redirect).query == {"connected": "xero"}
    again = callback(person.session_token, redirect)
    assert again.status == 400
    assert len(_connections(person.tenant_id)) == 1


def test_callback_from_another_login_session_is_refused(person):
    from integration_people import make_person

    other = make_person(email="mallory@example.test")
    started = start(person.session_token, "xero", person.slug)
    landing = callback(other.session_token, consent(started.headers["location"]))
    assert landing.query["error"] == "other_session"
    assert _connections(person.tenant_id) == []


def test_denied_consent_returns_with_a_plain_message(person):
    started = start(person.session_token, "hubspot", person.slug)
    landing = callback(person.session_token, consent(started.headers["location"], consent="deny"))
    assert landing.path == f"/t/{person.slug}/integrations"
    assert landing.query == {"error": "denied", "app": "HubSpot"}
    assert _connections(person.tenant_id) == []


@pytest.mark.parametrize("key", ["xero", "hubspot", "asana"])
def test_expired_code_is_refused(key, person, clock):
    started = start(person.session_token, key, person.slug)
    redirect = consent(started.headers["location"])
    clock.advance(3600)  # codes live 5-10 minutes at these providers
    landing = callback(person.session_token, redirect)
    assert landing.query["error"] == "code_rejected"
    assert _connections(person.tenant_id) == []


def test_signed_out_start_goes_to_login(person):
    answer = start(None, "xero", person.slug)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=%2Foauth%2Fstart%2Fxero")


@pytest.mark.parametrize("role", ["viewer", "editor", "support_agent"])
def test_roles_without_manage_cannot_connect(role, db, redis):
    from integration_people import make_person

    someone = make_person(role=role)
    answer = start(someone.session_token, "xero", someone.slug)
    assert answer.status_code in (303, 400)
    assert "identity/connect/authorize" not in answer.headers.get("location", "")


def test_unknown_tenant_is_refused(person):
    answer = start(person.session_token, "xero", "someone-elses-shop")
    assert answer.status_code == 400


def test_reconnect_replaces_tokens_on_the_same_connection(person):
    connect(person.session_token, "xero", person.slug)
    (first,) = _connections(person.tenant_id)
    started = start(person.session_token, "xero", person.slug, reconnect=str(first.id))
    landing = callback(person.session_token, consent(started.headers["location"]))
    assert landing.query == {"connected": "xero"}
    (again,) = _connections(person.tenant_id)
    assert again.id == first.id and again.token_version == first.token_version + 1
