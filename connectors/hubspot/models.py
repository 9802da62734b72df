"""Typed inputs and outputs of the HubSpot CRM actions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field


class CrmObject(BaseModel):
    id: str
    properties: dict[str, str | None]
    created_at: str | None = None
    updated_at: str | None = None


class FindContactInputs(BaseModel):
    email: str = Field(min_length=3)


class FindContactOutputs(BaseModel):
    found: bool
    contact: CrmObject | None = None


class CreateContactInputs(BaseModel):
    email: str = Field(min_length=3)
    firstname: str | None = None
    lastname: str | None = None
    phone: str | None = None
    company: str | None = None
    properties: dict[str, str] = Field(default_factory=dict, description="Any other properties.")


class CreateContactOutputs(BaseModel):
    contact: CrmObject
    created: bool = Field(description="False when a contact with this email already existed.")


class UpdateContactInputs(BaseModel):
    contact_id: str
    properties: dict[str, str] = Field(min_length=1)


class ListContactsInputs(BaseModel):
    limit: int = Field(10, ge=1, le=100)
    after: str | None = Field(None, description="Cursor from the previous page's next_after.")


class ListContactsOutputs(BaseModel):
    contacts: list[CrmObject]
    next_after: str | None = None


class CreateDealInputs(BaseModel):
    dealname: str = Field(min_length=1)
    dealstage: str = "appointmentscheduled"
    pipeline: str = "default"
    amount: Decimal | None = None
    closedate: dt.date | None = None
    contact_id: str | None = Field(None, description="Associate the deal with this contact.")


class UpdateDealStageInputs(BaseModel):
    deal_id: str
    dealstage: str
