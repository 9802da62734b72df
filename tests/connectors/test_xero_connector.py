"""Every Xero action against the Xero sandbox over real sockets, including the failure paths."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest

from connectors.sandbox_kit import ManualClock, SandboxServer
from connectors.xero.actions import list_connections
from connectors.xero.sandbox import XeroSandbox
from marketplace.sdk import (
    ActionContext,
    AuthError,
    Connector,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
)

SCOPES = ("offline_access", "accounting.contacts", "accounting.transactions")


@dataclass
class Xero:
    sandbox: XeroSandbox
    connector: Connector
    token: str
    ctx: Callable[..., ActionContext]

    def run(self, action: str, inputs: dict, **ctx_options) -> dict:
        found = self.connector.action(action)
        assert found is not None, action
        return found.execute(self.ctx(**ctx_options), inputs)


@pytest.fixture
def xero(clock: ManualClock, make_ctx) -> Iterator[Xero]:
    sandbox = XeroSandbox(clock=clock)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=SCOPES)["access_token"]
    tenant = sandbox.default_org.tenant_id
    with SandboxServer(sandbox.app) as server:
        connector = sandbox.connector(server.url)

        def ctx(**options) -> ActionContext:
            options.setdefault("credentials", {"xero_tenant_id": tenant})
            return make_ctx(connector.base_url, options.pop("token", token), **options)

        yield Xero(sandbox, connector, token, ctx)


def _contact(xero: Xero, name: str = "Acme Ltd", email: str = "ap@acme.test") -> dict:
    return xero.run("create_contact", {"name": name, "email": email}, key=f"create-{name}")


def _invoice(xero: Xero, contact_id: str, key: str = "inv-1", amount: str = "150.00") -> dict:
    inputs = {
        "contact_id": contact_id,
        "reference": "PO-7",
        "line_items": [
            {"description": "Consulting", "quantity": 2, "unit_amount": amount},
            {"description": "Travel", "unit_amount": "25.50"},
        ],
    }
    return xero.run("create_invoice", inputs, key=key)


def test_connections_lists_the_tenant(xero: Xero) -> None:
    (connection,) = list_connections(xero.ctx())
    assert connection["tenantId"] == xero.sandbox.default_org.tenant_id


def test_create_then_find_contact_by_email_and_name(xero: Xero) -> None:
    created = _contact(xero)
    assert created["name"] == "Acme Ltd" and created["status"] == "ACTIVE"
    by_email = xero.run("find_contact", {"email": "AP@acme.test"})
    assert by_email["found"] and by_email["contact"]["contact_id"] == created["contact_id"]
    by_name = xero.run("find_contact", {"name": "Acme Ltd"})
    assert by_name["contact"]["email"] == "ap@acme.test"
    assert xero.run("find_contact", {"email": "nobody@acme.test"}) == {
        "found": False,
        "contact": None,
    }


def test_find_contact_needs_email_or_name(xero: Xero) -> None:
    with pytest.raises(InvalidInputError):
        xero.run("find_contact", {})


def test_find_contact_escapes_quotes_in_the_where_filter(xero: Xero) -> None:
    created = _contact(xero, name='The "Best" Bakery', email="hi@bakery.test")
    found = xero.run("find_contact", {"name": 'The "Best" Bakery'})
    assert found["contact"]["contact_id"] == created["contact_id"]


def test_update_contact_and_unknown_contact(xero: Xero) -> None:
    created = _contact(xero)
    updated = xero.run(
        "update_contact",
        {"contact_id": created["contact_id"], "email": "billing@acme.test", "first_name": "Ann"},
        key="update-1",
    )
    assert updated["email"] == "billing@acme.test" and updated["first_name"] == "Ann"
    stored = xero.sandbox.default_org.contacts[created["contact_id"]]
    assert stored["EmailAddress"] == "billing@acme.test"
    with pytest.raises(NotFoundError):
        xero.run(
            "update_contact",
            {"contact_id": "00000000-0000-0000-0000-000000000000", "name": "X"},
            key="update-2",
        )


def test_duplicate_contact_name_is_xeros_validation_message(xero: Xero) -> None:
    _contact(xero)
    with pytest.raises(InvalidInputError) as caught:
        xero.run("create_contact", {"name": "acme ltd"}, key="dupe")
    assert "already assigned to another contact" in caught.value.message


def test_create_and_get_invoice(xero: Xero) -> None:
    contact = _contact(xero)
    invoice = _invoice(xero, contact["contact_id"])
    assert invoice["invoice_number"] == "INV-0001"
    assert invoice["status"] == "AUTHORISED"
    assert Decimal(invoice["total"]) == Decimal("325.50")
    fetched = xero.run("get_invoice", {"invoice_id": invoice["invoice_id"]})
    assert {k: fetched[k] for k in invoice} == invoice
    assert (fetched["contact_name"], fetched["contact_email"]) == ("Acme Ltd", "ap@acme.test")
    with pytest.raises(NotFoundError):
        xero.run("get_invoice", {"invoice_id": "00000000-0000-0000-0000-000000000000"})


def test_invalid_account_code_is_invalid_input(xero: Xero) -> None:
    contact = _contact(xero)
    inputs = {
        "contact_id": contact["contact_id"],
        "line_items": [{"description": "X", "unit_amount": "1", "account_code": "999"}],
    }
    with pytest.raises(InvalidInputError) as caught:
        xero.run("create_invoice", inputs, key="bad-code")
    assert "999" in caught.value.message


def test_idempotent_retry_creates_no_duplicate_invoice(xero: Xero) -> None:
    contact = _contact(xero)
    first = _invoice(xero, contact["contact_id"], key="step-42")
    retry = _invoice(xero, contact["contact_id"], key="step-42")
    assert retry["invoice_id"] == first["invoice_id"]
    assert len(xero.sandbox.default_org.invoices) == 1
    other = _invoice(xero, contact["contact_id"], key="step-43")
    assert other["invoice_id"] != first["invoice_id"]
    assert len(xero.sandbox.default_org.invoices) == 2


def test_reusing_a_key_for_a_different_request_is_refused(xero: Xero) -> None:
    contact = _contact(xero)
    _invoice(xero, contact["contact_id"], key="step-7")
    with pytest.raises(InvalidInputError) as caught:
        _invoice(xero, contact["contact_id"], key="step-7", amount="999.00")
    assert caught.value.details["status"] == 409
    assert len(xero.sandbox.default_org.invoices) == 1


def test_idempotent_retry_of_create_contact_returns_the_first_answer(xero: Xero) -> None:
    first = _contact(xero)
    again = _contact(xero)  # same key: replayed, not a duplicate-name error
    assert again == first
    assert len(xero.sandbox.default_org.contacts) == 1


def test_mark_invoice_paid_in_full_and_list_payments(xero: Xero) -> None:
    contact = _contact(xero)
    invoice = _invoice(xero, contact["contact_id"])
    paid = xero.run(
        "mark_invoice_paid",
        {"invoice_id": invoice["invoice_id"], "account_code": "090", "date": "2024-03-01"},
        key="pay-1",
    )
    assert paid["invoice_status"] == "PAID"
    assert Decimal(paid["payment"]["amount"]) == Decimal("325.50")
    assert paid["payment"]["date"] == "2024-03-01"
    after = xero.run("get_invoice", {"invoice_id": invoice["invoice_id"]})
    assert after["status"] == "PAID" and Decimal(after["amount_due"]) == 0
    listed = xero.run("list_payments", {"invoice_id": invoice["invoice_id"]})
    assert [p["payment_id"] for p in listed["payments"]] == [paid["payment"]["payment_id"]]
    assert listed["has_more"] is False


def test_partial_payment_then_overpayment_is_refused(xero: Xero) -> None:
    contact = _contact(xero)
    invoice = _invoice(xero, contact["contact_id"])
    part = xero.run(
        "mark_invoice_paid",
        {"invoice_id": invoice["invoice_id"], "account_code": "090", "amount": "100"},
        key="pay-part",
    )
    assert part["invoice_status"] == "AUTHORISED"
    with pytest.raises(InvalidInputError) as caught:
        xero.run(
            "mark_invoice_paid",
            {"invoice_id": invoice["invoice_id"], "account_code": "090", "amount": "1000"},
            key="pay-over",
        )
    assert "exceeds the amount outstanding" in caught.value.message


def test_payment_into_a_non_bank_account_is_refused(xero: Xero) -> None:
    contact = _contact(xero)
    invoice = _invoice(xero, contact["contact_id"])
    with pytest.raises(InvalidInputError):
        xero.run(
            "mark_invoice_paid",
            {"invoice_id": invoice["invoice_id"], "account_code": "200"},
            key="pay-wrong-account",
        )


def test_list_payments_pages_by_100(xero: Xero) -> None:
    org = xero.sandbox.default_org
    contact = org.save_contact({"Name": "Bulk"})
    for n in range(101):
        inv = org.create_invoice(
            {
                "Type": "ACCREC",
                "Status": "AUTHORISED",
                "Contact": {"ContactID": contact["ContactID"]},
                "LineItems": [{"Description": f"#{n}", "UnitAmount": 10, "AccountCode": "200"}],
            }
        )
        org.create_payment(
            {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 10}
        )
    first = xero.run("list_payments", {"page": 1})
    second = xero.run("list_payments", {"page": 2})
    assert len(first["payments"]) == 100 and first["has_more"] is True
    assert len(second["payments"]) == 1 and second["has_more"] is False


def test_expired_token_is_auth_error_in_plain_english(xero: Xero) -> None:
    xero.sandbox.oauth.expire_access_tokens()
    with pytest.raises(AuthError) as caught:
        xero.run("find_contact", {"email": "a@b.test"})
    assert caught.value.message.startswith("Xero asked us to sign in again")
    assert caught.value.details["status"] == 401


def test_revoked_grant_is_auth_error(xero: Xero) -> None:
    xero.sandbox.oauth.revoke_grant()
    with pytest.raises(AuthError):
        xero.run("find_contact", {"email": "a@b.test"})


def test_missing_or_foreign_tenant_is_refused(xero: Xero) -> None:
    other = xero.sandbox.add_org("Someone Else Ltd")
    with pytest.raises(AuthError):
        xero.run("find_contact", {"email": "a@b.test"}, credentials={})
    with pytest.raises(AuthError):
        xero.run(
            "find_contact", {"email": "a@b.test"}, credentials={"xero_tenant_id": other.tenant_id}
        )


def test_missing_scope_is_refused(xero: Xero) -> None:
    client = xero.sandbox.register_client(["http://127.0.0.1:9/cb"])
    read_only = xero.sandbox.oauth.issue_token(client, scopes=("accounting.contacts.read",))
    assert xero.run("find_contact", {"email": "a@b.test"}, token=read_only["access_token"])
    with pytest.raises(AuthError):
        xero.run("create_contact", {"name": "X"}, token=read_only["access_token"])


def test_minute_limit_is_429_with_retry_after(xero: Xero, clock: ManualClock) -> None:
    # The fixed clock sits 20 s into its minute window, so 40 s remain.
    for _ in range(60):
        xero.run("find_contact", {"email": "a@b.test"})
    with pytest.raises(RateLimitedError) as caught:
        xero.run("find_contact", {"email": "a@b.test"})
    assert caught.value.retry_after == 40
    assert caught.value.retryable
    clock.advance(40)
    assert xero.run("find_contact", {"email": "a@b.test"})["found"] is False


def test_429_carries_xeros_headers(clock: ManualClock) -> None:
    sandbox = XeroSandbox(clock=clock, day_limit=2)
    client = sandbox.register_client(["http://127.0.0.1:9/cb"])
    token = sandbox.oauth.issue_token(client, scopes=SCOPES)["access_token"]
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "xero-tenant-id": sandbox.default_org.tenant_id,
    }
    with SandboxServer(sandbox.app) as server:
        url = f"{server.url}/api.xro/2.0/Contacts"
        ok = httpx.get(url, headers=headers)
        assert ok.headers["X-DayLimit-Remaining"] == "1"
        assert ok.headers["X-MinLimit-Remaining"] == "59"
        httpx.get(url, headers=headers)
        limited = httpx.get(url, headers=headers)
    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Problem"] == "day"
    assert int(limited.headers["Retry-After"]) > 3600


def test_sandbox_insists_on_json_accept_header(xero: Xero) -> None:
    answer = httpx.get(
        f"{xero.connector.base_url}/api.xro/2.0/Contacts",
        headers={
            "Authorization": f"Bearer {xero.token}",
            "xero-tenant-id": xero.sandbox.default_org.tenant_id,
        },
    )
    assert answer.status_code == 406
