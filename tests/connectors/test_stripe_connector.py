"""Stripe: form encoding, every action against the sandbox (idempotent retries, paging, errors,
429s) and the signed payment events."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.stripe import connector as production
from connectors.stripe.form import decode, encode
from connectors.stripe.sandbox import StripeSandbox
from connectors.stripe.triggers import event_id
from flowyard.webhooks import verify
from marketplace.sdk import (
    ActionContext,
    ApiKeyAuth,
    AuthError,
    Connector,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)


@dataclass
class Stripe:
    sandbox: StripeSandbox
    connector: Connector
    ctx: Callable[..., ActionContext]

    def run(self, action: str, inputs: dict, **options) -> dict:
        return self.connector.action(action).execute(self.ctx(**options), inputs)

    def customer(self, email: str = "ann@example.com") -> str:
        return self.run("create_customer", {"email": email}, key=f"c-{email}")["id"]

    def invoice(self, customer: str, key: str = "inv-1", cents: int = 5000) -> dict:
        lines = [{"description": "Consulting", "unit_amount": cents, "quantity": 2},
                 {"description": "Travel", "unit_amount": 1250}]  # fmt: skip
        return self.run("create_invoice", {"customer_id": customer, "lines": lines}, key=key)


@pytest.fixture
def stripe(clock: ManualClock, make_ctx) -> Iterator[Stripe]:
    sandbox = StripeSandbox(clock=clock)
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)

        def ctx(**options) -> ActionContext:
            return make_ctx(connector.base_url, options.pop("token", sandbox.secret_key), **options)

        yield Stripe(sandbox, connector, ctx)


def test_declaration_and_form_encoding() -> None:
    assert isinstance(production.auth, ApiKeyAuth) and production.auth.prefix == "Bearer "
    assert production.base_url == "https://api.stripe.com"
    (trigger,) = production.triggers
    assert trigger.scheme == "stripe" and set(trigger.event_types) == {
        "invoice.paid",
        "payment_intent.succeeded",
        "checkout.session.completed",
    }
    data = {"email": "a@b.c", "metadata": {"crm_id": "42"}, "enabled_events": ["x", "y"],
            "auto_advance": False, "skip": None}  # fmt: skip
    pairs = encode(data)
    assert ("metadata[crm_id]", "42") in pairs and ("enabled_events[1]", "y") in pairs
    assert ("auto_advance", "false") in pairs and all(k != "skip" for k, _ in pairs)
    assert decode(pairs)["metadata"] == {"crm_id": "42"}
    assert decode([("a[]", "1"), ("a[]", "2")]) == {"a": ["1", "2"]}


# -- customers ------------------------------------------------------------------------------------
def test_create_and_find_customer_with_metadata(stripe: Stripe) -> None:
    assert stripe.run("find_customer", {"email": "bo@example.com"})["found"] is False
    made = stripe.run(
        "create_customer",
        {"email": "bo@example.com", "name": "Bo", "metadata": {"hubspot_id": "51"}},
    )
    assert made["id"].startswith("cus_") and made["metadata"] == {"hubspot_id": "51"}
    found = stripe.run("find_customer", {"email": "bo@example.com"})
    assert found["found"] and found["customer"]["id"] == made["id"]


def test_retried_create_customer_replays_the_first_answer(stripe: Stripe) -> None:
    first = stripe.run("create_customer", {"email": "cy@example.com"}, key="step-7")
    again = stripe.run("create_customer", {"email": "cy@example.com"}, key="step-7")
    other = stripe.run("create_customer", {"email": "cy@example.com"}, key="step-8")
    assert again == first and other["id"] != first["id"]
    assert len(stripe.sandbox.account.newest_first("customer")) == 2
    with pytest.raises(InvalidInputError) as caught:  # same key, different request
        stripe.run("create_customer", {"email": "dee@example.com"}, key="step-7")
    assert "idempotent requests" in caught.value.message


def test_replay_header_on_the_wire(stripe: Stripe) -> None:
    url = f"{stripe.connector.base_url}/v1/customers"
    headers = {"Authorization": f"Bearer {stripe.sandbox.secret_key}", "Idempotency-Key": "k1"}
    first = httpx.post(url, data={"email": "e@example.com"}, headers=headers)
    second = httpx.post(url, data={"email": "e@example.com"}, headers=headers)
    assert first.json() == second.json() and second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers


# -- invoices -------------------------------------------------------------------------------------
def test_create_finalize_get_invoice(stripe: Stripe) -> None:
    customer = stripe.customer()
    draft = stripe.invoice(customer)
    assert draft["status"] == "draft" and draft["total"] == 11250 and draft["number"] is None
    final = stripe.run("finalize_invoice", {"invoice_id": draft["id"]}, key="fin-1")
    assert final["status"] == "open" and final["number"] == "SANDBOX-0001"
    assert final["hosted_invoice_url"] and final["amount_due"] == 11250
    retried = stripe.run("finalize_invoice", {"invoice_id": draft["id"]}, key="fin-1")
    assert retried == final  # the engine's retry gets the first answer back
    with pytest.raises(InvalidInputError) as caught:  # a new step: Stripe refuses
        stripe.run("finalize_invoice", {"invoice_id": draft["id"]}, key="fin-2")
    assert "invoice_not_editable" in caught.value.message
    got = stripe.run("get_invoice", {"invoice_id": draft["id"]})
    assert got["status"] == "open" and got["customer"] == customer


def test_retried_create_invoice_makes_no_duplicate_lines(stripe: Stripe) -> None:
    customer = stripe.customer()
    first = stripe.invoice(customer, key="inv-9")
    again = stripe.invoice(customer, key="inv-9")
    assert again["id"] == first["id"] and again["total"] == first["total"] == 11250
    assert len(stripe.sandbox.account.newest_first("invoice")) == 1
    assert len(stripe.sandbox.account.newest_first("invoiceitem")) == 2


def test_list_invoices_pages_with_starting_after(stripe: Stripe) -> None:
    customer = stripe.customer()
    made = [stripe.invoice(customer, key=f"inv-{n}")["id"] for n in range(5)]
    stripe.invoice(stripe.customer("other@example.com"), key="inv-other")
    seen, cursor = [], None
    while True:
        page = stripe.run(
            "list_invoices",
            {"customer_id": customer, "limit": 2, **({"starting_after": cursor} if cursor else {})},
        )
        seen += [i["id"] for i in page["invoices"]]
        cursor = page["next_starting_after"]
        if not page["has_more"]:
            assert cursor is None
            break
    assert seen == list(reversed(made))  # newest first, as Stripe lists
    stripe.run("finalize_invoice", {"invoice_id": made[0]})
    assert [i["id"] for i in stripe.run("list_invoices", {"status": "open"})["invoices"]] == [
        made[0]
    ]


def test_invoice_errors(stripe: Stripe) -> None:
    with pytest.raises(NotFoundError) as caught:
        stripe.run("get_invoice", {"invoice_id": "in_missing"})
    assert "No such invoice: 'in_missing'" in caught.value.message
    assert "resource_missing" in caught.value.details["provider_message"]
    with pytest.raises(NotFoundError):
        stripe.run("create_invoice", {"customer_id": "cus_nope", "lines": [
            {"description": "X", "unit_amount": 1}]})  # fmt: skip


# -- auth and limits ------------------------------------------------------------------------------
def test_bad_and_rolled_keys_are_auth_errors(stripe: Stripe) -> None:
    with pytest.raises(AuthError) as caught:
        stripe.run("find_customer", {"email": "x@example.com"}, token="sk_test_wrong")
    assert caught.value.details["status"] == 401
    assert caught.value.details["provider_message"] == "Invalid API Key provided."
    stripe.sandbox.keys.revoke(stripe.sandbox.secret_key)
    with pytest.raises(AuthError) as caught:
        stripe.run("find_customer", {"email": "x@example.com"})
    assert "rolled or revoked" in caught.value.details["provider_message"]


def test_rate_limit_429_with_retry_after(clock: ManualClock, make_ctx) -> None:
    sandbox = StripeSandbox(clock=clock, per_second=2)
    with SandboxServer(sandbox.app) as server:
        ctx = make_ctx(sandbox.connector(server.url).base_url, sandbox.secret_key)
        find = production.action("find_customer")
        for _ in range(2):
            find.execute(ctx, {"email": "x@example.com"})
        with pytest.raises(RateLimitedError) as caught:
            find.execute(ctx, {"email": "x@example.com"})
        assert caught.value.retry_after == 1
        assert "[rate_limit]" in caught.value.details["provider_message"]
        clock.advance(1)
        assert find.execute(ctx, {"email": "x@example.com"})["found"] is False


# -- payment events -------------------------------------------------------------------------------
def test_payment_events_are_signed_and_verify(stripe: Stripe, receiver, clock) -> None:
    hooks, url = receiver
    trigger = production.trigger("payment_event")
    info = trigger.subscribe(stripe.ctx(key="sub-1"), url)
    assert info["secret"].startswith("whsec_")
    hooks.verify_with("stripe", info["secret"], now=clock.now)

    customer = stripe.customer()
    invoice = stripe.invoice(customer)
    stripe.run("finalize_invoice", {"invoice_id": invoice["id"]})
    stripe.sandbox.account.pay_invoice(invoice["id"])
    stripe.sandbox.account.complete_checkout(customer, 900)
    deliveries = stripe.sandbox.deliver_events()
    types = [json.loads(d.body)["type"] for d in deliveries]
    assert types == ["payment_intent.succeeded", "invoice.paid", "checkout.session.completed"]
    assert [r.status for r in hooks.received] == [200, 200, 200]

    paid = hooks.received[1]
    event = json.loads(paid.body)
    assert (
        event["data"]["object"]["id"] == invoice["id"]
        and event["data"]["object"]["status"] == "paid"
    )
    secret = info["secret"]
    assert verify("stripe", secret, paid.headers, paid.body, now=clock.now())
    assert not verify("stripe", secret, paid.headers, paid.body.replace(b"paid", b"void"),
                      now=clock.now())  # fmt: skip
    assert not verify("stripe", secret, paid.headers, paid.body, now=clock.now() + 301)
    assert event_id(event, paid.headers) == f"stripe:{event['id']}"
    assert event_id({}, {}) is None

    trigger.unsubscribe(stripe.ctx(), info)
    stripe.sandbox.account.complete_checkout(customer, 100)
    assert stripe.sandbox.deliver_events() == []
    with pytest.raises(NotFoundError):
        trigger.unsubscribe(stripe.ctx(), info)


def test_forged_event_is_refused(stripe: Stripe, receiver, clock) -> None:
    hooks, url = receiver
    info = production.trigger("payment_event").subscribe(stripe.ctx(key="sub-2"), url)
    hooks.verify_with("stripe", info["secret"], now=clock.now)
    stripe.sandbox.account.complete_checkout(stripe.customer(), 500)
    (delivery,) = stripe.sandbox.deliver_events()
    forged = stripe.sandbox.webhooks.sender.post(
        delivery.url, delivery.body.replace(b"500", b"5"), delivery.headers
    )
    assert (delivery.status, forged.status) == (200, 401)
