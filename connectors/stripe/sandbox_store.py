"""One simulated Stripe account (test mode): customers, invoices, invoice items, webhook
endpoints and events, in Stripe's object shapes (``cus_…``/``in_…`` ids, ``object`` names, unix
``created`` times, amounts in cents). Errors are :class:`StripeError` with Stripe's fields.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.sandbox_kit import Clock


class StripeError(Exception):
    def __init__(
        self, status: int, message: str, *, kind: str = "invalid_request_error", **extra: Any
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.extra = status, message, kind, extra

    def body(self) -> dict[str, Any]:
        return {"error": {"type": self.kind, "message": self.message, **self.extra}}


def missing(kind: str, object_id: str) -> StripeError:
    return StripeError(404, f"No such {kind}: '{object_id}'", code="resource_missing", param="id")


Emit = Callable[[str, dict[str, Any]], None]
"""(event type, the object it is about)."""


@dataclass
class Account:
    clock: Clock
    emit: Emit = lambda _type, _obj: None
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    _invoice_numbers: int = 0

    def _new(self, prefix: str, kind: str, **fields: Any) -> dict[str, Any]:
        record = {"id": f"{prefix}_{secrets.token_hex(7)}", "object": kind,
                  "created": int(self.clock.now()), "livemode": False, **fields}  # fmt: skip
        self.objects[record["id"]] = record
        return record

    def get(self, kind: str, object_id: str) -> dict[str, Any]:
        found = self.objects.get(object_id)
        if found is None or found["object"] != kind:
            raise missing(kind.replace("_", " "), object_id)
        return found

    def newest_first(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in reversed(self.objects.values()) if o["object"] == kind]

    # -- customers -----------------------------------------------------------------------------
    def create_customer(self, form: Mapping[str, Any]) -> dict[str, Any]:
        metadata = form.get("metadata") or {}
        if not isinstance(metadata, dict) or len(metadata) > 50:
            raise StripeError(400, "Invalid metadata: at most 50 keys.", param="metadata")
        fields = {k: form.get(k) for k in ("email", "name", "phone", "description")}
        return self._new("cus", "customer", **fields, metadata=metadata, balance=0,
                         currency=None, delinquent=False)  # fmt: skip

    # -- invoices ------------------------------------------------------------------------------
    def create_invoice(self, form: Mapping[str, Any]) -> dict[str, Any]:
        customer = self.get("customer", str(form.get("customer", "")))
        method = form.get("collection_method", "charge_automatically")
        days = form.get("days_until_due")
        if method == "send_invoice" and days is None:
            raise StripeError(
                400,
                "Missing required param: days_until_due.",
                code="parameter_missing",
                param="days_until_due",
            )
        due = int(self.clock.now()) + int(days) * 86400 if days is not None else None
        return self._new(
            "in", "invoice", customer=customer["id"], customer_email=customer.get("email"),
            currency=str(form.get("currency", "usd")), status="draft", number=None,
            collection_method=method, due_date=due, description=form.get("description"),
            amount_due=0, amount_paid=0, amount_remaining=0, subtotal=0, total=0,
            hosted_invoice_url=None, metadata=form.get("metadata") or {},
            auto_advance=form.get("auto_advance") == "true",
            lines={"object": "list", "data": [], "has_more": False,
                   "url": "/v1/invoices/upcoming/lines"},
        )  # fmt: skip

    def add_item(self, form: Mapping[str, Any]) -> dict[str, Any]:
        customer = self.get("customer", str(form.get("customer", "")))
        invoice = self.get("invoice", str(form.get("invoice", "")))
        if invoice["status"] != "draft":
            raise StripeError(
                400, f"Invoice {invoice['id']} is not a draft; items can't be added.",
                code="invoice_not_editable",
            )  # fmt: skip
        quantity = int(form.get("quantity", 1))
        amount = int(form.get("unit_amount", form.get("amount", 0))) * quantity
        item = self._new("ii", "invoiceitem", customer=customer["id"], invoice=invoice["id"],
                         amount=amount, quantity=quantity, currency=invoice["currency"],
                         description=form.get("description"))  # fmt: skip
        line = {"id": f"il_{item['id'][3:]}", "object": "line_item", "amount": amount,
                "description": item["description"], "quantity": quantity}  # fmt: skip
        invoice["lines"]["data"].append(line)
        for name in ("amount_due", "amount_remaining", "subtotal", "total"):
            invoice[name] += amount
        return item

    def finalize(self, invoice_id: str) -> dict[str, Any]:
        invoice = self.get("invoice", invoice_id)
        if invoice["status"] != "draft":
            raise StripeError(
                400,
                "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                code="invoice_not_editable",
            )
        self._invoice_numbers += 1
        invoice.update(
            status="open",
            number=f"SANDBOX-{self._invoice_numbers:04d}",
            hosted_invoice_url=f"https://invoice.stripe.com/i/sandbox/{invoice['id']}",
        )
        self.emit("invoice.finalized", invoice)
        return invoice

    # -- payments (what a customer does; test controls) ----------------------------------------
    def pay_invoice(self, invoice_id: str) -> dict[str, Any]:
        invoice = self.get("invoice", invoice_id)
        if invoice["status"] != "open":
            raise StripeError(400, "Only open invoices can be paid.", code="invoice_not_open")
        intent = self._new("pi", "payment_intent", amount=invoice["amount_due"],
                           amount_received=invoice["amount_due"], currency=invoice["currency"],
                           customer=invoice["customer"], invoice=invoice["id"],
                           status="succeeded")  # fmt: skip
        invoice.update(status="paid", amount_paid=invoice["amount_due"], amount_remaining=0,
                       payment_intent=intent["id"])  # fmt: skip
        self.emit("payment_intent.succeeded", intent)
        self.emit("invoice.paid", invoice)
        return invoice

    def complete_checkout(self, customer_id: str, amount_total: int) -> dict[str, Any]:
        customer = self.get("customer", customer_id)
        session = self._new("cs_test", "checkout.session", customer=customer["id"],
                            customer_email=customer.get("email"), amount_total=amount_total,
                            currency="usd", mode="payment", payment_status="paid",
                            status="complete")  # fmt: skip
        self.emit("checkout.session.completed", session)
        return session
