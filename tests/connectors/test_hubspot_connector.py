"""Every HubSpot action against the HubSpot sandbox, error paths, limits and webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from connectors.hubspot import connector as production
from connectors.hubspot.sandbox import HubSpotSandbox
from connectors.hubspot.triggers import event_id
from connectors.sandbox_kit import Client, ManualClock, SandboxServer
from flowyard.webhooks import verify
from marketplace.sdk import (
    ActionContext,
    AuthError,
    Connector,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)


@dataclass
class HubSpot:
    sandbox: HubSpotSandbox
    connector: Connector
    client: Client
    ctx: Callable[..., ActionContext]

    def run(self, action: str, inputs: dict, **options) -> dict:
        return self.connector.action(action).execute(self.ctx(**options), inputs)


@pytest.fixture
def hubspot(clock: ManualClock, make_ctx) -> Iterator[HubSpot]:
    sandbox = HubSpotSandbox(clock=clock)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)

        def ctx(**options) -> ActionContext:
            return make_ctx(connector.base_url, options.pop("token", token), **options)

        yield HubSpot(sandbox, connector, client, ctx)


def _contact(hs: HubSpot, email: str = "ann@acme.test") -> dict:
    return hs.run("create_contact", {"email": email, "firstname": "Ann", "company": "Acme"})


def test_create_find_and_update_contact(hubspot: HubSpot) -> None:
    created = _contact(hubspot)
    assert created["created"] is True
    contact = created["contact"]
    assert contact["properties"]["email"] == "ann@acme.test" and contact["id"].isdigit()
    found = hubspot.run("find_contact", {"email": "ANN@acme.test"})
    assert found["found"] and found["contact"]["id"] == contact["id"]
    assert found["contact"]["properties"]["company"] == "Acme"
    assert hubspot.run("find_contact", {"email": "nobody@acme.test"}) == {
        "found": False,
        "contact": None,
    }
    updated = hubspot.run(
        "update_contact", {"contact_id": contact["id"], "properties": {"lastname": "Lee"}}
    )
    assert updated["properties"]["lastname"] == "Lee"
    assert hubspot.sandbox.portal.contacts[contact["id"]]["properties"]["lastname"] == "Lee"


def test_retried_create_contact_returns_the_existing_one(hubspot: HubSpot) -> None:
    first = _contact(hubspot)
    retry = _contact(hubspot)
    assert retry["created"] is False
    assert retry["contact"]["id"] == first["contact"]["id"]
    assert len(hubspot.sandbox.portal.contacts) == 1


def test_update_unknown_contact_is_not_found(hubspot: HubSpot) -> None:
    with pytest.raises(NotFoundError) as caught:
        hubspot.run("update_contact", {"contact_id": "999999", "properties": {"lastname": "X"}})
    assert "Object not found" in caught.value.message


def test_unknown_property_is_invalid_input(hubspot: HubSpot) -> None:
    with pytest.raises(InvalidInputError) as caught:
        hubspot.run("create_contact", {"email": "x@y.test", "properties": {"shoe_size": "9"}})
    assert "shoe_size" in caught.value.message


def test_list_contacts_follows_the_after_cursor(hubspot: HubSpot) -> None:
    for n in range(25):
        hubspot.sandbox.portal.create_contact({"email": f"c{n}@acme.test"})
    seen, after, pages = [], None, 0
    while True:
        page = hubspot.run("list_contacts", {"limit": 10, "after": after})
        seen += [c["properties"]["email"] for c in page["contacts"]]
        pages += 1
        after = page["next_after"]
        if after is None:
            break
    assert pages == 3 and len(seen) == 25 and len(set(seen)) == 25


def test_search_pages_with_paging_next_after(hubspot: HubSpot) -> None:
    for n in range(3):
        hubspot.sandbox.portal.create_contact({"email": f"p{n}@acme.test", "company": "Acme"})
    search = {
        "filterGroups": [
            {"filters": [{"propertyName": "company", "operator": "EQ", "value": "acme"}]}
        ],
        "limit": 2,
    }
    ctx = hubspot.ctx()
    first = ctx.http.post("/crm/v3/objects/contacts/search", json=search).json()
    assert first["total"] == 3 and len(first["results"]) == 2
    second = ctx.http.post(
        "/crm/v3/objects/contacts/search",
        json={**search, "after": first["paging"]["next"]["after"]},
    ).json()
    assert len(second["results"]) == 1 and "paging" not in second


def test_create_deal_for_contact_and_move_stage(hubspot: HubSpot) -> None:
    contact = _contact(hubspot)["contact"]
    deal = hubspot.run(
        "create_deal",
        {
            "dealname": "Website",
            "amount": "1500",
            "contact_id": contact["id"],
            "closedate": "2024-06-30",
        },
    )
    assert deal["properties"]["dealstage"] == "appointmentscheduled"
    assert (deal["id"], contact["id"]) in hubspot.sandbox.portal.associations
    moved = hubspot.run("update_deal_stage", {"deal_id": deal["id"], "dealstage": "closedwon"})
    assert moved["properties"]["dealstage"] == "closedwon"


def test_invalid_stage_and_unknown_deal(hubspot: HubSpot) -> None:
    deal = hubspot.run("create_deal", {"dealname": "X"})
    with pytest.raises(InvalidInputError) as caught:
        hubspot.run("update_deal_stage", {"deal_id": deal["id"], "dealstage": "won-ish"})
    assert "allowed options" in caught.value.message
    with pytest.raises(NotFoundError):
        hubspot.run("update_deal_stage", {"deal_id": "1", "dealstage": "closedwon"})


def test_expired_token_is_auth_error(hubspot: HubSpot) -> None:
    hubspot.sandbox.oauth.expire_access_tokens()
    with pytest.raises(AuthError) as caught:
        hubspot.run("find_contact", {"email": "a@b.test"})
    assert caught.value.message.startswith("HubSpot asked us to sign in again")


def test_missing_scope_is_auth_error(hubspot: HubSpot) -> None:
    token = hubspot.sandbox.oauth.issue_token(hubspot.client, scopes=("crm.objects.contacts.read",))
    with pytest.raises(AuthError) as caught:
        hubspot.run("create_deal", {"dealname": "X"}, token=token["access_token"])
    assert caught.value.details["status"] == 403


def test_ten_second_burst_limit_is_429_with_retry_after(clock: ManualClock, make_ctx) -> None:
    sandbox = HubSpotSandbox(clock=clock, ten_second_limit=3)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)
        ctx = make_ctx(connector.base_url, token)
        find = connector.action("find_contact")
        for _ in range(3):
            find.execute(ctx, {"email": "a@b.test"})
        with pytest.raises(RateLimitedError) as caught:
            find.execute(ctx, {"email": "a@b.test"})
        assert caught.value.retry_after == 10  # the clock sits on a 10-second boundary
        raw = ctx.http.get("/crm/v3/objects/contacts")
        assert raw.status_code == 429
        assert raw.json()["policyName"] == "TEN_SECONDLY_ROLLING"
        assert raw.json()["errorType"] == "RATE_LIMIT"
        assert raw.headers["X-HubSpot-RateLimit-Max"] == "3"
        clock.advance(10)
        assert find.execute(ctx, {"email": "a@b.test"})["found"] is False


def test_daily_limit_policy(clock: ManualClock) -> None:
    sandbox = HubSpotSandbox(clock=clock, daily_limit=1)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        headers = {"Authorization": f"Bearer {token}"}
        ok = httpx.get(f"{server.url}/crm/v3/objects/contacts", headers=headers)
        assert ok.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
        limited = httpx.get(f"{server.url}/crm/v3/objects/contacts", headers=headers)
    assert limited.json()["policyName"] == "DAILY"
    assert int(limited.headers["Retry-After"]) > 10


def test_webhooks_are_signed_v3_and_verify(hubspot: HubSpot, receiver, clock) -> None:
    hooks, url = receiver
    hooks.verify_with("hubspot-v3", hubspot.client.client_secret, now=clock.now)
    hubspot.sandbox.set_target_url(url, hubspot.client)
    contact = _contact(hubspot)["contact"]
    deal = hubspot.run("create_deal", {"dealname": "Website", "contact_id": contact["id"]})
    hubspot.run("update_deal_stage", {"deal_id": deal["id"], "dealstage": "contractsent"})
    (delivery,) = hubspot.sandbox.deliver_events()
    assert delivery.status == 200
    events = json.loads(delivery.body)
    assert [e["subscriptionType"] for e in events] == [
        "contact.creation",
        "deal.creation",
        "deal.propertyChange",
    ]
    assert events[-1]["propertyName"] == "dealstage"
    assert events[-1]["propertyValue"] == "contractsent"
    got = hooks.received[-1]
    assert verify(
        "hubspot-v3",
        hubspot.client.client_secret,
        got.headers,
        got.body,
        now=clock.now(),
        method="POST",
        uri=got.url,
    )
    tampered = got.body.replace(b"contractsent", b"closedwon")
    assert not verify(
        "hubspot-v3",
        hubspot.client.client_secret,
        got.headers,
        tampered,
        now=clock.now(),
        method="POST",
        uri=got.url,
    )
    assert not verify(
        "hubspot-v3",
        hubspot.client.client_secret,
        got.headers,
        got.body,
        now=clock.now() + 600,
        method="POST",
        uri=got.url,
    )


def test_event_id_identifies_the_batch() -> None:
    batch = [{"eventId": 7}, {"eventId": 3}]
    assert event_id(batch, {}) == "hubspot:3,7"
    assert event_id(list(reversed(batch)), {}) == "hubspot:3,7"
    assert event_id([], {}) is None
    long = [{"eventId": n} for n in range(100)]
    assert len(event_id(long, {})) < 60


def test_triggers_declared_with_hubspot_v3() -> None:
    assert {t.key for t in production.triggers} == {"contact_changed", "deal_changed"}
    assert all(t.scheme == "hubspot-v3" for t in production.triggers)
