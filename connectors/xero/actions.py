"""Xero actions: contacts, invoices and payments (Accounting API 2.0)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connectors.xero.client import API, call, only, parse_date, quote
from connectors.xero.models import (
    Contact,
    CreateContactInputs,
    CreateInvoiceInputs,
    FindContactInputs,
    FindContactOutputs,
    GetInvoiceInputs,
    Invoice,
    ListPaymentsInputs,
    ListPaymentsOutputs,
    MarkInvoicePaidInputs,
    MarkInvoicePaidOutputs,
    Payment,
    UpdateContactInputs,
)
from marketplace.sdk import Action, ActionContext, InvalidInputError

PAGE_SIZE = 100  # Xero's page size for paged endpoints


def _contact(raw: dict[str, Any]) -> Contact:
    return Contact(
        contact_id=raw["ContactID"],
        name=raw.get("Name", ""),
        email=raw.get("EmailAddress") or None,
        first_name=raw.get("FirstName") or None,
        last_name=raw.get("LastName") or None,
        status=raw.get("ContactStatus"),
    )


def _invoice(raw: dict[str, Any]) -> Invoice:
    return Invoice(
        invoice_id=raw["InvoiceID"],
        invoice_number=raw.get("InvoiceNumber"),
        status=raw["Status"],
        contact_id=(raw.get("Contact") or {}).get("ContactID"),
        reference=raw.get("Reference"),
        currency_code=raw.get("CurrencyCode"),
        total=Decimal(str(raw.get("Total", 0))),
        amount_due=Decimal(str(raw.get("AmountDue", 0))),
        amount_paid=Decimal(str(raw.get("AmountPaid", 0))),
    )


def _payment(raw: dict[str, Any]) -> Payment:
    return Payment(
        payment_id=raw["PaymentID"],
        invoice_id=(raw.get("Invoice") or {}).get("InvoiceID"),
        amount=Decimal(str(raw.get("Amount", 0))),
        date=parse_date(raw.get("Date")),
        status=raw.get("Status"),
        reference=raw.get("Reference"),
    )


def _contact_fields(inputs: CreateContactInputs | UpdateContactInputs) -> dict[str, Any]:
    fields = {
        "Name": inputs.name,
        "EmailAddress": inputs.email,
        "FirstName": inputs.first_name,
        "LastName": inputs.last_name,
    }
    return {k: v for k, v in fields.items() if v is not None}


def find_contact(ctx: ActionContext, inputs: FindContactInputs) -> FindContactOutputs:
    where = (
        f"EmailAddress=={quote(inputs.email)}"
        if inputs.email
        else f"Name=={quote(inputs.name or '')}"
    )
    body = call(ctx, "GET", f"{API}/Contacts", params={"where": where, "page": 1})
    contacts = body.get("Contacts") or []
    return FindContactOutputs(
        found=bool(contacts), contact=_contact(contacts[0]) if contacts else None
    )


def create_contact(ctx: ActionContext, inputs: CreateContactInputs) -> Contact:
    fields = _contact_fields(inputs)
    if inputs.phone:
        fields["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": inputs.phone}]
    body = call(ctx, "PUT", f"{API}/Contacts", body={"Contacts": [fields]}, idempotent=True)
    return _contact(only(body, "Contacts"))


def update_contact(ctx: ActionContext, inputs: UpdateContactInputs) -> Contact:
    fields = _contact_fields(inputs)
    if not fields:
        raise InvalidInputError("Update contact needs at least one field to change.")
    fields["ContactID"] = inputs.contact_id
    path = f"{API}/Contacts/{inputs.contact_id}"
    body = call(ctx, "POST", path, body={"Contacts": [fields]}, idempotent=True)
    return _contact(only(body, "Contacts"))


def create_invoice(ctx: ActionContext, inputs: CreateInvoiceInputs) -> Invoice:
    invoice: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": inputs.contact_id},
        "Status": inputs.status,
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {
                "Description": item.description,
                "Quantity": item.quantity,
                "UnitAmount": item.unit_amount,
                "AccountCode": item.account_code,
            }
            for item in inputs.line_items
        ],
    }
    optional = {
        "Date": inputs.date.isoformat() if inputs.date else None,
        "DueDate": inputs.due_date.isoformat() if inputs.due_date else None,
        "Reference": inputs.reference,
        "CurrencyCode": inputs.currency_code,
    }
    invoice.update({k: v for k, v in optional.items() if v is not None})
    body = call(ctx, "PUT", f"{API}/Invoices", body={"Invoices": [invoice]}, idempotent=True)
    return _invoice(only(body, "Invoices"))


class InvoiceWithContact(Invoice):
    """An invoice with who it is for, so a workflow can find that customer in another app."""

    contact_name: str | None = None
    contact_email: str | None = None


def _fetch_invoice(ctx: ActionContext, invoice_id: str) -> dict[str, Any]:
    return only(call(ctx, "GET", f"{API}/Invoices/{invoice_id}"), "Invoices")


def get_invoice(ctx: ActionContext, inputs: GetInvoiceInputs) -> InvoiceWithContact:
    """The invoice plus its contact's name and email (Xero's invoice may omit the email, in
    which case the contact is read too: one extra call)."""
    raw = _fetch_invoice(ctx, inputs.invoice_id)
    contact = raw.get("Contact") or {}
    if contact.get("ContactID") and not contact.get("EmailAddress"):
        path = f"{API}/Contacts/{contact['ContactID']}"
        contact = {**contact, **only(call(ctx, "GET", path), "Contacts")}
    return InvoiceWithContact(
        **_invoice(raw).model_dump(),
        contact_name=contact.get("Name") or None,
        contact_email=contact.get("EmailAddress") or None,
    )


def mark_invoice_paid(ctx: ActionContext, inputs: MarkInvoicePaidInputs) -> MarkInvoicePaidOutputs:
    amount = inputs.amount
    if amount is None:
        amount = _invoice(_fetch_invoice(ctx, inputs.invoice_id)).amount_due
    payment: dict[str, Any] = {
        "Invoice": {"InvoiceID": inputs.invoice_id},
        "Account": {"Code": inputs.account_code},
        "Amount": amount,
    }
    if inputs.date:
        payment["Date"] = inputs.date.isoformat()
    if inputs.reference:
        payment["Reference"] = inputs.reference
    raw = only(
        call(ctx, "PUT", f"{API}/Payments", body={"Payments": [payment]}, idempotent=True),
        "Payments",
    )
    return MarkInvoicePaidOutputs(
        payment=_payment(raw), invoice_status=(raw.get("Invoice") or {}).get("Status")
    )


def list_payments(ctx: ActionContext, inputs: ListPaymentsInputs) -> ListPaymentsOutputs:
    params: dict[str, Any] = {"page": inputs.page}
    if inputs.invoice_id:
        params["where"] = f"Invoice.InvoiceID==Guid({quote(inputs.invoice_id)})"
    body = call(ctx, "GET", f"{API}/Payments", params=params)
    payments = [_payment(p) for p in body.get("Payments") or []]
    paging = body.get("pagination") or {}
    has_more = (
        paging["page"] < paging["pageCount"]
        if "pageCount" in paging
        else len(payments) >= PAGE_SIZE
    )
    return ListPaymentsOutputs(payments=payments, page=inputs.page, has_more=has_more)


def list_connections(ctx: ActionContext) -> list[dict[str, Any]]:
    """Organisations this token may use (``GET /connections``), to pick ``xero_tenant_id``."""
    response = call(ctx, "GET", "/connections")
    return response if isinstance(response, list) else []


ACTIONS = (
    Action("find_contact", "Find contact", "Look up a contact by email address or name.",
           FindContactInputs, find_contact, FindContactOutputs),
    Action("create_contact", "Create contact", "Add a customer or supplier contact.",
           CreateContactInputs, create_contact, Contact),
    Action("update_contact", "Update contact", "Change a contact's name or email.",
           UpdateContactInputs, update_contact, Contact),
    Action("create_invoice", "Create invoice", "Raise a sales invoice (ACCREC) for a contact.",
           CreateInvoiceInputs, create_invoice, Invoice),
    Action("get_invoice", "Get invoice", "Fetch an invoice with its totals, status and "
           "contact (name and email).", GetInvoiceInputs, get_invoice, InvoiceWithContact),
    Action("mark_invoice_paid", "Mark invoice paid", "Record a payment against an invoice.",
           MarkInvoicePaidInputs, mark_invoice_paid, MarkInvoicePaidOutputs),
    Action("list_payments", "List payments", "Payments, optionally for one invoice, page by page.",
           ListPaymentsInputs, list_payments, ListPaymentsOutputs),
)  # fmt: skip
