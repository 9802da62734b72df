"""Stripe actions: customers (find by email, create) and invoices (create, finalize, get, list).

Every write carries an Idempotency-Key derived from the step's key, so an engine retry gets
Stripe's first answer back instead of a second customer or invoice. "Find" uses the list
endpoint's ``email`` filter (read-after-write consistent), not the lagging Search API.
"""

from __future__ import annotations

from typing import Any

from connectors.stripe.client import call
from connectors.stripe.models import (
    CreateCustomerInputs,
    CreateInvoiceInputs,
    Customer,
    FindCustomerInputs,
    FindCustomerOutputs,
    Invoice,
    InvoiceIdInputs,
    ListInvoicesInputs,
    ListInvoicesOutputs,
)
from marketplace.sdk import Action, ActionContext


def find_customer(ctx: ActionContext, inputs: FindCustomerInputs) -> FindCustomerOutputs:
    found = call(ctx, "GET", "/v1/customers", params={"email": inputs.email, "limit": 1})["data"]
    customer = Customer.model_validate(found[0]) if found else None
    return FindCustomerOutputs(found=customer is not None, customer=customer)


def create_customer(ctx: ActionContext, inputs: CreateCustomerInputs) -> Customer:
    data = inputs.model_dump(exclude_none=True)
    return Customer.model_validate(call(ctx, "POST", "/v1/customers", data=data))


def create_invoice(ctx: ActionContext, inputs: CreateInvoiceInputs) -> Invoice:
    """A draft invoice, then one invoice item per line (each write its own idempotency key)."""
    data: dict[str, Any] = {
        "customer": inputs.customer_id,
        "currency": inputs.currency.lower(),
        "collection_method": inputs.collection_method,
        "description": inputs.description,
        "auto_advance": False,
        "pending_invoice_items_behavior": "exclude",
        "metadata": inputs.metadata or None,
    }
    if inputs.collection_method == "send_invoice":
        data["days_until_due"] = inputs.days_until_due
    invoice = call(ctx, "POST", "/v1/invoices", data=data, step="invoice")
    for index, line in enumerate(inputs.lines):
        item = {
            "customer": inputs.customer_id,
            "invoice": invoice["id"],
            "currency": inputs.currency.lower(),
            "description": line.description,
            "unit_amount": line.unit_amount,
            "quantity": line.quantity,
        }
        call(ctx, "POST", "/v1/invoiceitems", data=item, step=f"line-{index}")
    return Invoice.model_validate(call(ctx, "GET", f"/v1/invoices/{invoice['id']}"))


def finalize_invoice(ctx: ActionContext, inputs: InvoiceIdInputs) -> Invoice:
    path = f"/v1/invoices/{inputs.invoice_id}/finalize"
    return Invoice.model_validate(call(ctx, "POST", path, data={}))


def get_invoice(ctx: ActionContext, inputs: InvoiceIdInputs) -> Invoice:
    return Invoice.model_validate(call(ctx, "GET", f"/v1/invoices/{inputs.invoice_id}"))


def list_invoices(ctx: ActionContext, inputs: ListInvoicesInputs) -> ListInvoicesOutputs:
    params = {
        "customer": inputs.customer_id,
        "status": inputs.status,
        "limit": inputs.limit,
        "starting_after": inputs.starting_after,
    }
    page = call(ctx, "GET", "/v1/invoices", params=params)
    invoices = [Invoice.model_validate(i) for i in page["data"]]
    more = bool(page.get("has_more"))
    return ListInvoicesOutputs(
        invoices=invoices,
        has_more=more,
        next_starting_after=invoices[-1].id if more and invoices else None,
    )


ACTIONS = (
    Action("find_customer", "Find customer by email", "The newest customer with this email.",
           FindCustomerInputs, find_customer, FindCustomerOutputs),
    Action("create_customer", "Create customer", "Add a customer (safe to retry).",
           CreateCustomerInputs, create_customer, Customer),
    Action("create_invoice", "Create invoice", "A draft invoice with line items (safe to "
           "retry).", CreateInvoiceInputs, create_invoice, Invoice),
    Action("finalize_invoice", "Finalize invoice", "Turn a draft into an open invoice with a "
           "number and a payment page.", InvoiceIdInputs, finalize_invoice, Invoice),
    Action("get_invoice", "Get invoice", "Fetch one invoice.", InvoiceIdInputs, get_invoice,
           Invoice),
    Action("list_invoices", "List invoices", "Invoices newest first, page by page "
           "(starting_after cursor).", ListInvoicesInputs, list_invoices, ListInvoicesOutputs),
)  # fmt: skip
