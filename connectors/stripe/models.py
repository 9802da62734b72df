"""Typed inputs and outputs of the Stripe actions (amounts in the currency's smallest unit)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Customer(BaseModel):
    id: str
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)
    created: int | None = None


class FindCustomerInputs(BaseModel):
    email: str = Field(min_length=3)


class FindCustomerOutputs(BaseModel):
    found: bool
    customer: Customer | None = None


class CreateCustomerInputs(BaseModel):
    email: str = Field(min_length=3)
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict, description="Up to 50 keys.")


class InvoiceLine(BaseModel):
    description: str = Field(min_length=1)
    unit_amount: int = Field(ge=0, description="In cents (the currency's smallest unit).")
    quantity: int = Field(1, ge=1)


class Invoice(BaseModel):
    id: str
    status: str | None = Field(None, description="draft, open, paid, uncollectible or void.")
    customer: str | None = None
    number: str | None = None
    currency: str | None = None
    amount_due: int = 0
    amount_paid: int = 0
    total: int = 0
    due_date: int | None = None
    hosted_invoice_url: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)


class CreateInvoiceInputs(BaseModel):
    customer_id: str
    currency: str = Field("usd", min_length=3, max_length=3)
    lines: list[InvoiceLine] = Field(min_length=1, max_length=100)
    description: str | None = None
    collection_method: Literal["send_invoice", "charge_automatically"] = "send_invoice"
    days_until_due: int | None = Field(30, ge=0, description="For send_invoice only.")
    metadata: dict[str, str] = Field(default_factory=dict)


class InvoiceIdInputs(BaseModel):
    invoice_id: str


class ListInvoicesInputs(BaseModel):
    customer_id: str | None = None
    status: Literal["draft", "open", "paid", "uncollectible", "void"] | None = None
    limit: int = Field(10, ge=1, le=100)
    starting_after: str | None = Field(None, description="next_starting_after of the last page.")


class ListInvoicesOutputs(BaseModel):
    invoices: list[Invoice]
    has_more: bool
    next_starting_after: str | None = None
