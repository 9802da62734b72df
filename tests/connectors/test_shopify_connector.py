"""Shopify: every action against the sandbox (paging, errors, 429s) and the order webhooks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from connectors.sandbox_kit import Client, ManualClock, SandboxServer
from connectors.shopify import connector as production
from connectors.shopify.sandbox import ShopifySandbox
from connectors.shopify.triggers import event_id
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
class Shopify:
    sandbox: ShopifySandbox
    connector: Connector
    client: Client
    ctx: Callable[..., ActionContext]

    def run(self, action: str, inputs: dict, **options) -> dict:
        return self.connector.action(action).execute(self.ctx(**options), inputs)

    def order(self, email: str = "ann@example.com", quantity: int = 1) -> dict:
        product = self.sandbox.shop.add_product("Mug", [("Blue", "12.50", 10)])
        return self.sandbox.shop.create_order(email, [(product["variants"][0], quantity)])


@pytest.fixture
def shopify(clock: ManualClock, make_ctx) -> Iterator[Shopify]:
    sandbox = ShopifySandbox(clock=clock)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)

        def ctx(**options) -> ActionContext:
            return make_ctx(connector.base_url, options.pop("token", token), **options)

        yield Shopify(sandbox, connector, client, ctx)


def test_declaration() -> None:
    (bucket,) = production.rate_limits
    assert (bucket.kind, bucket.limit, bucket.limit / bucket.window_seconds) == ("bucket", 40, 2)
    topics = {t.key: t.event_types for t in production.triggers}
    assert topics == {
        "order_created": ("orders/create",),
        "order_paid": ("orders/paid",),
        "order_fulfilled": ("orders/fulfilled",),
    }
    assert all(t.scheme == "shopify" and t.event_id for t in production.triggers)


# -- orders ---------------------------------------------------------------------------------------
def test_get_order(shopify: Shopify) -> None:
    order = shopify.order(quantity=2)
    got = shopify.run("get_order", {"order_id": order["id"]})
    assert got["name"] == "#1001" and got["total_price"] == "25.00"
    assert got["customer"]["email"] == "ann@example.com"
    assert got["line_items"][0]["quantity"] == 2
    with pytest.raises(NotFoundError) as caught:
        shopify.run("get_order", {"order_id": 1})
    assert caught.value.details["provider_message"] == "Not Found"


def test_list_orders_pages_with_page_info(shopify: Shopify) -> None:
    made = [shopify.order(f"c{n}@example.com")["id"] for n in range(5)]
    shopify.sandbox.shop.mark_paid(made[1])
    seen, cursor, pages = [], None, 0
    while True:
        inputs = {"limit": 2, **({"page_info": cursor} if cursor else {})}
        page = shopify.run("list_orders", inputs)
        seen += [o["id"] for o in page["orders"]]
        pages += 1
        assert (page["previous_page_info"] is None) == (pages == 1)
        cursor = page["next_page_info"]
        if cursor is None:
            break
    assert seen == made and pages == 3
    paid = shopify.run("list_orders", {"financial_status": "paid"})
    assert [o["id"] for o in paid["orders"]] == [made[1]] and paid["next_page_info"] is None


def test_page_info_keeps_the_first_pages_filters(shopify: Shopify) -> None:
    ids = [shopify.order(f"p{n}@example.com")["id"] for n in range(3)]
    for order_id in ids:
        shopify.sandbox.shop.mark_paid(order_id)
    shopify.order("unpaid@example.com")
    first = shopify.run("list_orders", {"financial_status": "paid", "limit": 2})
    rest = shopify.run("list_orders", {"page_info": first["next_page_info"], "limit": 2})
    assert [o["id"] for o in first["orders"] + rest["orders"]] == ids
    raw = httpx.get(
        f"{shopify.connector.base_url}/orders.json",
        params={"page_info": first["next_page_info"], "status": "any"},
        headers={"X-Shopify-Access-Token": shopify.ctx().http.headers["authorization"][7:]},
    )
    assert raw.status_code == 400


# -- customers ------------------------------------------------------------------------------------
def test_find_and_create_customer(shopify: Shopify) -> None:
    assert shopify.run("find_customer", {"email": "bo@example.com"}) == {
        "found": False,
        "customer": None,
    }
    made = shopify.run(
        "create_customer",
        {"email": "Bo@Example.com", "first_name": "Bo", "tags": ["vip", "wholesale"]},
    )
    assert made["created"] is True and made["customer"]["tags"] == "vip, wholesale"
    found = shopify.run("find_customer", {"email": "bo@example.com"})
    assert found["found"] and found["customer"]["id"] == made["customer"]["id"]


def test_retried_create_customer_returns_the_first_one(shopify: Shopify) -> None:
    first = shopify.run("create_customer", {"email": "cy@example.com"}, key="step-1")
    again = shopify.run("create_customer", {"email": "cy@example.com"}, key="step-1")
    assert again == {**first, "created": False}
    assert len(shopify.sandbox.shop.customers) == 1


def test_invalid_customer_is_invalid_input(shopify: Shopify) -> None:
    with pytest.raises(InvalidInputError) as caught:
        shopify.run("create_customer", {"email": "not-an-email"})
    assert caught.value.details["provider_message"] == "email is invalid"


# -- products and inventory -----------------------------------------------------------------------
def test_get_product_and_adjust_inventory(shopify: Shopify) -> None:
    product = shopify.sandbox.shop.add_product("Tee", [("S", "20.00", 5), ("M", "20.00", 0)])
    got = shopify.run("get_product", {"product_id": product["id"]})
    small, medium = got["variants"]
    assert (small["inventory_quantity"], medium["inventory_quantity"]) == (5, 0)
    level = shopify.run(
        "adjust_inventory", {"inventory_item_id": small["inventory_item_id"], "adjustment": -2}
    )
    assert level["available"] == 3
    assert level["location_id"] == shopify.sandbox.shop.default_location
    again = shopify.run("get_product", {"product_id": product["id"]})
    assert again["variants"][0]["inventory_quantity"] == 3
    with pytest.raises(InvalidInputError):
        shopify.run("adjust_inventory", {"inventory_item_id": 7, "adjustment": 1})
    with pytest.raises(NotFoundError):
        shopify.run(
            "adjust_inventory",
            {"inventory_item_id": small["inventory_item_id"], "adjustment": 1, "location_id": 9},
        )
    with pytest.raises(NotFoundError):
        shopify.run("get_product", {"product_id": 404})


# -- auth and limits ------------------------------------------------------------------------------
def test_bad_token_and_missing_scope(shopify: Shopify) -> None:
    with pytest.raises(AuthError) as caught:
        shopify.run("get_order", {"order_id": 1}, token="shpat_wrong")
    assert caught.value.details["status"] == 401
    assert "Reconnect Shopify" in caught.value.message
    narrow = shopify.sandbox.oauth.issue_token(shopify.client, scopes=("read_products",))
    with pytest.raises(AuthError) as caught:
        shopify.run("get_order", {"order_id": 1}, token=narrow["access_token"])
    assert caught.value.details["status"] == 403
    assert "read_orders" in caught.value.message


def test_leaky_bucket_429_with_retry_after(clock: ManualClock, make_ctx) -> None:
    sandbox = ShopifySandbox(clock=clock, bucket_size=3, leak_per_second=2)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=production.auth.scopes)["access_token"]
    with SandboxServer(sandbox.app) as server:
        base = sandbox.connector(server.url).base_url
        ctx = make_ctx(base, token)
        find = production.action("find_customer")
        for _ in range(3):
            find.execute(ctx, {"email": "x@example.com"})
        with pytest.raises(RateLimitedError) as caught:
            find.execute(ctx, {"email": "x@example.com"})
        assert caught.value.retry_after == 1.0
        assert "Exceeded 2 calls per second" in caught.value.details["provider_message"]
        clock.advance(0.5)  # one marble leaks
        answer = httpx.get(f"{base}/locations.json", headers={"X-Shopify-Access-Token": token})
        assert answer.headers["X-Shopify-Shop-Api-Call-Limit"] == "3/3"
        refused = httpx.get(f"{base}/locations.json", headers={"X-Shopify-Access-Token": token})
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1.0"
        assert refused.headers["X-Shopify-Shop-Api-Call-Limit"] == "3/3"
        clock.advance(1.5)
        ok = httpx.get(f"{base}/locations.json", headers={"X-Shopify-Access-Token": token})
        assert ok.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/3"


# -- webhooks -------------------------------------------------------------------------------------
def test_order_webhooks_subscribe_verify_and_unsubscribe(shopify: Shopify, receiver) -> None:
    hooks, url = receiver
    hooks.verify_with("shopify", shopify.client.client_secret)
    infos = {t.key: t.subscribe(shopify.ctx(), url) for t in production.triggers}
    assert {i["topic"] for i in infos.values()} == {
        "orders/create",
        "orders/paid",
        "orders/fulfilled",
    }
    with pytest.raises(InvalidInputError):  # the same topic twice for one address
        production.trigger("order_paid").subscribe(shopify.ctx(), url)

    order = shopify.order()
    shopify.sandbox.shop.mark_paid(order["id"])
    shopify.sandbox.shop.fulfill(order["id"])
    deliveries = shopify.sandbox.deliver_events()
    assert [d.headers["X-Shopify-Topic"] for d in deliveries] == [
        "orders/create",
        "orders/paid",
        "orders/fulfilled",
    ]
    assert all(d.status == 200 for d in deliveries)
    paid = hooks.received[1]
    assert json.loads(paid.body)["financial_status"] == "paid"
    secret = shopify.client.client_secret
    assert verify("shopify", secret, paid.headers, paid.body)
    assert not verify("shopify", secret, paid.headers, paid.body.replace(b"paid", b"free"))
    assert not verify("shopify", "other-app-secret", paid.headers, paid.body)

    retry = shopify.sandbox.webhooks.redeliver(deliveries[1])
    assert retry.status == 200
    again = hooks.received[-1]
    assert event_id({}, again.headers) == event_id({}, paid.headers) is not None
    assert event_id({}, hooks.received[0].headers) != event_id({}, paid.headers)
    assert event_id({}, {}) is None

    for key, info in infos.items():
        production.trigger(key).unsubscribe(shopify.ctx(), info)
    shopify.order("later@example.com")
    assert shopify.sandbox.deliver_events() == []
    with pytest.raises(NotFoundError):
        production.trigger("order_paid").unsubscribe(shopify.ctx(), infos["order_paid"])


def test_tampered_delivery_is_refused_by_a_verifying_receiver(shopify: Shopify, receiver) -> None:
    hooks, url = receiver
    hooks.verify_with("shopify", shopify.client.client_secret)
    production.trigger("order_created").subscribe(shopify.ctx(), url)
    shopify.order()
    (delivery,) = shopify.sandbox.deliver_events()
    forged = shopify.sandbox.webhooks.sender.post(
        delivery.url, delivery.body.replace(b"12.50", b"0.01"), delivery.headers
    )
    assert (delivery.status, forged.status) == (200, 401)
