"""Typed inputs and outputs of the Xero actions (their JSON Schema drives the builder's forms)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class Contact(BaseModel):
    contact_id: str
    name: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    status: str | None = None


class FindContactInputs(BaseModel):
    email: str | None = Field(None, description="Exact email address to look for.")
    name: str | None = Field(None, description="Exact contact name (used if no email is given).")

    @model_validator(mode="after")
    def _one_of(self) -> FindContactInputs:
        if not (self.email or self.name):
            raise ValueError("give an email or a name to search for")
        return self


class FindContactOutputs(BaseModel):
    found: bool
    contact: Contact | None = None


class CreateContactInputs(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None


class UpdateContactInputs(BaseModel):
    contact_id: str
    name: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class LineItem(BaseModel):
    description: str
    quantity: Decimal = Decimal(1)
    unit_amount: Decimal
    account_code: str = Field("200", description="Revenue account code in the organisation.")


class CreateInvoiceInputs(BaseModel):
    contact_id: str
    line_items: list[LineItem] = Field(min_length=1)
    date: dt.date | None = None
    due_date: dt.date | None = None
    reference: str | None = None
    status: Literal["DRAFT", "SUBMITTED", "AUTHORISED"] = "AUTHORISED"
    currency_code: str | None = None


class Invoice(BaseModel):
    invoice_id: str
    invoice_number: str | None = None
    status: str
    contact_id: str | None = None
    reference: str | None = None
    currency_code: str | None = None
    total: Decimal
    amount_due: Decimal
    amount_paid: Decimal


class GetInvoiceInputs(BaseModel):
    invoice_id: str


class MarkInvoicePaidInputs(BaseModel):
    invoice_id: str
    account_code: str = Field(description="Code of the bank account the money arrived in.")
    amount: Decimal | None = Field(None, description="Defaults to the amount still due.")
    date: dt.date | None = None
    reference: str | None = None


class Payment(BaseModel):
    payment_id: str
    invoice_id: str | None = None
    amount: Decimal
    date: str | None = None
    status: str | None = None
    reference: str | None = None


class MarkInvoicePaidOutputs(BaseModel):
    payment: Payment
    invoice_status: str | None = None


class ListPaymentsInputs(BaseModel):
    invoice_id: str | None = None
    page: int = Field(1, ge=1)


class ListPaymentsOutputs(BaseModel):
    payments: list[Payment]
    page: int
    has_more: bool
