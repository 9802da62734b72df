"""HubSpot CRM actions: contacts (search, create, update, list) and deals (create, move stage).

HubSpot has no Idempotency-Key; contacts are unique by email, so a retried "create contact" that
meets 409 Conflict returns the contact the first attempt made instead of failing.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.hubspot.client import call
from connectors.hubspot.models import (
    CreateContactInputs,
    CreateContactOutputs,
    CreateDealInputs,
    CrmObject,
    FindContactInputs,
    FindContactOutputs,
    ListContactsInputs,
    ListContactsOutputs,
    UpdateContactInputs,
    UpdateDealStageInputs,
)
from marketplace.sdk import Action, ActionContext, InvalidInputError

CONTACTS = "/crm/v3/objects/contacts"
DEALS = "/crm/v3/objects/deals"
CONTACT_PROPERTIES = ["email", "firstname", "lastname", "phone", "company"]
DEAL_PROPERTIES = ["dealname", "dealstage", "pipeline", "amount", "closedate"]
DEAL_TO_CONTACT = 3  # HUBSPOT_DEFINED association type id
_EXISTING = re.compile(r"Existing ID:\s*(\d+)")


def _object(raw: dict[str, Any]) -> CrmObject:
    return CrmObject(
        id=str(raw["id"]),
        properties=raw.get("properties") or {},
        created_at=raw.get("createdAt"),
        updated_at=raw.get("updatedAt"),
    )


def find_contact(ctx: ActionContext, inputs: FindContactInputs) -> FindContactOutputs:
    search = {
        "filterGroups": [
            {"filters": [{"propertyName": "email", "operator": "EQ", "value": inputs.email}]}
        ],
        "properties": CONTACT_PROPERTIES,
        "limit": 1,
    }
    results = call(ctx, "POST", f"{CONTACTS}/search", json=search).get("results") or []
    return FindContactOutputs(found=bool(results), contact=_object(results[0]) if results else None)


def create_contact(ctx: ActionContext, inputs: CreateContactInputs) -> CreateContactOutputs:
    named = {k: getattr(inputs, k) for k in CONTACT_PROPERTIES}
    properties = {**inputs.properties, **{k: v for k, v in named.items() if v is not None}}
    try:
        raw = call(ctx, "POST", CONTACTS, json={"properties": properties})
    except InvalidInputError as error:
        existing = _EXISTING.search(str((error.details or {}).get("provider_message", "")))
        if (error.details or {}).get("status") != 409 or existing is None:
            raise
        raw = call(
            ctx,
            "GET",
            f"{CONTACTS}/{existing.group(1)}",
            params={"properties": ",".join(CONTACT_PROPERTIES)},
        )
        return CreateContactOutputs(contact=_object(raw), created=False)
    return CreateContactOutputs(contact=_object(raw), created=True)


def update_contact(ctx: ActionContext, inputs: UpdateContactInputs) -> CrmObject:
    path = f"{CONTACTS}/{inputs.contact_id}"
    return _object(call(ctx, "PATCH", path, json={"properties": inputs.properties}))


def list_contacts(ctx: ActionContext, inputs: ListContactsInputs) -> ListContactsOutputs:
    params: dict[str, Any] = {"limit": inputs.limit, "properties": ",".join(CONTACT_PROPERTIES)}
    if inputs.after:
        params["after"] = inputs.after
    body = call(ctx, "GET", CONTACTS, params=params)
    after = ((body.get("paging") or {}).get("next") or {}).get("after")
    return ListContactsOutputs(
        contacts=[_object(r) for r in body.get("results") or []], next_after=after
    )


def create_deal(ctx: ActionContext, inputs: CreateDealInputs) -> CrmObject:
    properties = {
        "dealname": inputs.dealname,
        "dealstage": inputs.dealstage,
        "pipeline": inputs.pipeline,
    }
    if inputs.amount is not None:
        properties["amount"] = str(inputs.amount)
    if inputs.closedate is not None:
        properties["closedate"] = inputs.closedate.isoformat()
    body: dict[str, Any] = {"properties": properties}
    if inputs.contact_id:
        body["associations"] = [
            {
                "to": {"id": inputs.contact_id},
                "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": DEAL_TO_CONTACT}
                ],
            }
        ]
    return _object(call(ctx, "POST", DEALS, json=body))


def update_deal_stage(ctx: ActionContext, inputs: UpdateDealStageInputs) -> CrmObject:
    body = {"properties": {"dealstage": inputs.dealstage}}
    return _object(call(ctx, "PATCH", f"{DEALS}/{inputs.deal_id}", json=body))


ACTIONS = (
    Action("find_contact", "Find contact by email", "Search contacts for an exact email.",
           FindContactInputs, find_contact, FindContactOutputs),
    Action("create_contact", "Create contact", "Add a contact (returns the existing one if the "
           "email is already in the CRM).", CreateContactInputs, create_contact,
           CreateContactOutputs),
    Action("update_contact", "Update contact", "Set properties on a contact.",
           UpdateContactInputs, update_contact, CrmObject),
    Action("list_contacts", "List contacts", "Contacts page by page (cursor paging).",
           ListContactsInputs, list_contacts, ListContactsOutputs),
    Action("create_deal", "Create deal", "Open a deal, optionally linked to a contact.",
           CreateDealInputs, create_deal, CrmObject),
    Action("update_deal_stage", "Move deal to stage", "Change a deal's pipeline stage.",
           UpdateDealStageInputs, update_deal_stage, CrmObject),
)  # fmt: skip
