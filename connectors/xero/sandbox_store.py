"""One simulated Xero organisation: contacts, invoices, payments and the rules Xero enforces.

Records are kept in Xero's JSON shape (PascalCase, ``/Date(ms+0000)/``) so the sandbox can filter
them with ``where`` and return them as they are. Amounts are Decimals rounded to cents; tax is not
simulated (TotalTax is always 0).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from connectors.sandbox_kit import Clock

CENT = Decimal("0.01")
CREATE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}


class XeroValidation(Exception):
    """Answered as 400 ValidationException with these messages on the offending element."""

    def __init__(self, element: Mapping[str, Any], *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.element = dict(element)
        self.messages = list(messages)


class XeroNotFound(Exception):
    """Answered 404 with Xero's plain-text body."""


def ms_date(when: dt.datetime | dt.date) -> str:
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)
    return f"/Date({int(when.timestamp() * 1000)}+0000)/"


def _money(value: Any, element: Mapping[str, Any], name: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise XeroValidation(element, f"{name} must be a number.") from None


def _parse_date(value: Any, element: Mapping[str, Any], default: dt.date) -> dt.date:
    if value in (None, ""):
        return default
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise XeroValidation(element, f"Date {value!r} is not a valid date.") from None


def _account(code: str, kind: str) -> dict[str, Any]:
    return {"AccountID": str(uuid.uuid4()), "Code": code, "Type": kind, "Status": "ACTIVE"}


@dataclass
class XeroOrg:
    tenant_id: str
    name: str
    clock: Clock
    emit: Callable[[str, str, str, str], None] = lambda _t, _c, _e, _r: None
    """(tenant_id, eventCategory, eventType, resourceId): feeds the sandbox's webhook queue."""
    currency: str = "USD"
    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: list[dict[str, Any]] = field(
        default_factory=lambda: [
            _account("090", "BANK"),
            _account("200", "REVENUE"),
            _account("260", "OTHERINCOME"),
            _account("400", "EXPENSE"),
        ]
    )
    _invoice_seq: int = 0

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock.now(), tz=dt.UTC)

    def _today(self) -> dt.date:
        return self._now().date()

    # -- contacts ------------------------------------------------------------------------------
    def save_contact(
        self, data: Mapping[str, Any], contact_id: str | None = None
    ) -> dict[str, Any]:
        """Create (no id) or update a contact, enforcing Xero's unique active name rule."""
        contact_id = contact_id or data.get("ContactID")
        existing = self.contacts.get(contact_id) if contact_id else None
        if contact_id and existing is None:
            raise XeroNotFound(contact_id)
        record = dict(existing or {})
        record.update({k: v for k, v in data.items() if k != "ContactID"})
        name = str(record.get("Name") or "").strip()
        if not name:
            raise XeroValidation(data, "The contact name must be specified.")
        for other in self.contacts.values():
            same = other["Name"].lower() == name.lower() and other["ContactStatus"] == "ACTIVE"
            if same and other["ContactID"] != contact_id:
                raise XeroValidation(
                    data,
                    f"The contact name {name} is already assigned to another contact. The contact "
                    "name must be unique across all active contacts.",
                )
        email = record.get("EmailAddress")
        if email and "@" not in str(email):
            raise XeroValidation(data, "Email address must be valid.")
        record.setdefault("ContactID", contact_id or str(uuid.uuid4()))
        record.setdefault("ContactStatus", "ACTIVE")
        record.setdefault("IsSupplier", False)
        record.setdefault("IsCustomer", False)
        record.setdefault("Phones", [])
        record.setdefault("Addresses", [])
        record.update(Name=name, UpdatedDateUTC=ms_date(self._now()), HasValidationErrors=False)
        self.contacts[record["ContactID"]] = record
        self.emit(
            self.tenant_id, "CONTACT", "UPDATE" if existing else "CREATE", record["ContactID"]
        )
        return record

    # -- invoices ------------------------------------------------------------------------------
    def _contact_for(self, data: Mapping[str, Any]) -> dict[str, Any]:
        ref = data.get("Contact") or {}
        if ref.get("ContactID"):
            contact = self.contacts.get(ref["ContactID"])
            if contact is None:
                raise XeroValidation(data, f"Contact with ContactID {ref['ContactID']} not found.")
            return contact
        named = [
            c
            for c in self.contacts.values()
            if c["Name"].lower() == str(ref.get("Name", "")).lower()
        ]
        if named:
            return named[0]
        if ref.get("Name"):  # Xero creates a contact from a new name on the fly
            return self.save_contact({"Name": ref["Name"]})
        raise XeroValidation(data, "A Contact must be specified for this type of transaction.")

    def _line(self, raw: Mapping[str, Any], element: Mapping[str, Any]) -> dict[str, Any]:
        quantity = Decimal(str(raw.get("Quantity", 1)))
        unit = _money(raw.get("UnitAmount", 0), element, "UnitAmount")
        code = raw.get("AccountCode")
        if code and not any(a["Code"] == code and a["Type"] != "BANK" for a in self.accounts):
            raise XeroValidation(
                element, f"Account code '{code}' is not a valid code for this document."
            )
        amount = (quantity * unit).quantize(CENT, rounding=ROUND_HALF_UP)
        return {
            "LineItemID": str(uuid.uuid4()),
            "Description": raw.get("Description", ""),
            "Quantity": quantity,
            "UnitAmount": unit,
            "AccountCode": code,
            "TaxAmount": Decimal("0.00"),
            "LineAmount": amount,
        }

    def create_invoice(self, data: Mapping[str, Any]) -> dict[str, Any]:
        kind = data.get("Type")
        if kind not in {"ACCREC", "ACCPAY"}:
            raise XeroValidation(data, "Invoice Type must be specified (ACCREC or ACCPAY).")
        status = data.get("Status", "DRAFT")
        if status not in CREATE_STATUSES:
            raise XeroValidation(
                data, f"Invoice status {status} is not valid when creating an invoice."
            )
        contact = self._contact_for(data)
        lines = [self._line(raw, data) for raw in data.get("LineItems") or []]
        if status != "DRAFT" and not lines:
            raise XeroValidation(
                data, "At least one line item is required for an approved invoice."
            )
        issued = _parse_date(data.get("Date"), data, self._today())
        due = _parse_date(data.get("DueDate"), data, issued + dt.timedelta(days=30))
        total = sum((line["LineAmount"] for line in lines), Decimal("0.00"))
        self._invoice_seq += 1
        invoice = {
            "InvoiceID": str(uuid.uuid4()),
            "InvoiceNumber": data.get("InvoiceNumber") or f"INV-{self._invoice_seq:04d}",
            "Type": kind,
            "Contact": {"ContactID": contact["ContactID"], "Name": contact["Name"]},
            "Date": ms_date(issued),
            "DateString": f"{issued.isoformat()}T00:00:00",
            "DueDate": ms_date(due),
            "DueDateString": f"{due.isoformat()}T00:00:00",
            "Status": status,
            "LineAmountTypes": data.get("LineAmountTypes", "Exclusive"),
            "LineItems": lines,
            "SubTotal": total,
            "TotalTax": Decimal("0.00"),
            "Total": total,
            "AmountDue": total,
            "AmountPaid": Decimal("0.00"),
            "AmountCredited": Decimal("0.00"),
            "CurrencyCode": data.get("CurrencyCode", self.currency),
            "Reference": data.get("Reference", ""),
            "Payments": [],
            "HasAttachments": False,
            "UpdatedDateUTC": ms_date(self._now()),
        }
        self.invoices[invoice["InvoiceID"]] = invoice
        if kind == "ACCREC" and status == "AUTHORISED":
            contact["IsCustomer"] = True
        self.emit(self.tenant_id, "INVOICE", "CREATE", invoice["InvoiceID"])
        return invoice

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        found = self.invoices.get(invoice_id.lower()) or self.invoices.get(invoice_id)
        if found is None:
            raise XeroNotFound(invoice_id)
        return found

    # -- payments ------------------------------------------------------------------------------
    def create_payment(self, data: Mapping[str, Any]) -> dict[str, Any]:
        ref = data.get("Invoice") or {}
        invoice = self.invoices.get(ref.get("InvoiceID", "")) or next(
            (i for i in self.invoices.values() if i["InvoiceNumber"] == ref.get("InvoiceNumber")),
            None,
        )
        if invoice is None:
            raise XeroValidation(data, "Invoice could not be found.")
        if invoice["Status"] != "AUTHORISED":
            raise XeroValidation(data, "Invoice not of valid status for creating payment.")
        account_ref = data.get("Account") or {}
        account = next(
            (
                a
                for a in self.accounts
                if a["Code"] == account_ref.get("Code")
                or a["AccountID"] == account_ref.get("AccountID")
            ),
            None,
        )
        if account is None or account["Type"] != "BANK":
            raise XeroValidation(data, "Account must be a bank account or have payments enabled.")
        amount = _money(data.get("Amount"), data, "Amount")
        if amount <= 0:
            raise XeroValidation(data, "Payment amount must be greater than zero.")
        if amount > invoice["AmountDue"]:
            raise XeroValidation(
                data, "Payment amount exceeds the amount outstanding on this document."
            )
        paid_on = _parse_date(data.get("Date"), data, self._today())
        invoice["AmountPaid"] += amount
        invoice["AmountDue"] -= amount
        if invoice["AmountDue"] == 0:
            invoice["Status"] = "PAID"
            invoice["FullyPaidOnDate"] = ms_date(paid_on)
        invoice["UpdatedDateUTC"] = ms_date(self._now())
        payment = {
            "PaymentID": str(uuid.uuid4()),
            "Date": ms_date(paid_on),
            "Amount": amount,
            "Reference": data.get("Reference", ""),
            "Status": "AUTHORISED",
            "PaymentType": "ACCRECPAYMENT" if invoice["Type"] == "ACCREC" else "ACCPAYPAYMENT",
            "UpdatedDateUTC": ms_date(self._now()),
            "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
            "Invoice": {
                "InvoiceID": invoice["InvoiceID"],
                "InvoiceNumber": invoice["InvoiceNumber"],
                "Type": invoice["Type"],
                "Status": invoice["Status"],
                "Contact": invoice["Contact"],
            },
        }
        self.payments[payment["PaymentID"]] = payment
        invoice["Payments"].append(
            {"PaymentID": payment["PaymentID"], "Date": payment["Date"], "Amount": amount}
        )
        self.emit(self.tenant_id, "INVOICE", "UPDATE", invoice["InvoiceID"])
        return payment
